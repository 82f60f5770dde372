"""Forms as data checks: a form's JSON Schema for profile data, and text cells → typed values.

Profile data is a JSON object of field key → value: integers and numbers as JSON numbers,
booleans, dates as ``YYYY-MM-DD`` strings, a multiselect as a list of option values, every other
type as a string. An optional field may be absent or null; keys the form does not have are
refused. ``profile_schema`` states exactly that (Draft 2020-12), and ``ProfileForm`` both
validates submitted data with it and converts the text cells of an import (or an HTML form post)
into such data, so imports and the web app accept the same values.

Formats (e-mail, URL, phone, date) are checked by this module's own ``FORMAT_CHECKER`` — never by
whatever optional packages jsonschema happens to find — so the result is the same everywhere.
"""
from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from typing import Callable, Collection, Mapping

from jsonschema import Draft202012Validator, FormatChecker

from engine.definitions.specs import FieldSpec, FormSpec

# Unicode White_Space, exactly (str.strip() would also take U+001C–U+001F).
WHITE_SPACE = ("\t\n\u000b\u000c\r \u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
               "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
TRUE_WORDS = frozenset({"true", "1", "yes"})
FALSE_WORDS = frozenset({"false", "0", "no"})
MULTISELECT_SEPARATOR = ";"

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_INTEGER = re.compile(r"[+-]?\d+", re.ASCII)
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", re.ASCII)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_URL = re.compile(r"https?://[^\s/?#]+\S*", re.IGNORECASE)
_PHONE = re.compile(r"\+?[0-9][0-9 ()-]{4,30}(\s*(ext\.?|x|转)\s*[0-9]{1,6})?", re.IGNORECASE)


class CellError(ValueError):
    """A text cell that is not a value of the expected kind; ``expected`` says what would be."""

    def __init__(self, expected: str):
        self.expected = expected
        super().__init__(f"expected {expected}")


def describe(value) -> str:
    """A value as a problem message shows it: quoted text (shortened), or an empty cell."""
    if value is None or value == "":
        return "an empty cell"
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "…")
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


def number_text(value) -> str:
    """A bound or option as a person writes it: ``0`` and ``2.5``, not ``0.0``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def cell_text(value) -> str:
    """A stored value as a form's text cell shows it: ``true``, ``a;b`` for a list, ``0`` not
    ``0.0``; empty for none."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(number_text(v) for v in value)
    return number_text(value)


# --- text cells → values --------------------------------------------------------------------

@functools.lru_cache(maxsize=4096)  # fact files repeat the same few hundred dates
def parse_date(text: str) -> str:
    """``YYYY-MM-DD`` (a real calendar date), returned as the same text."""
    if not _DATE.fullmatch(text):
        raise CellError("a date as YYYY-MM-DD")
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        raise CellError("a date as YYYY-MM-DD") from None
    return text


def parse_boolean(text: str) -> bool:
    """true/false/1/0/yes/no in any case."""
    word = text.lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise CellError("true, false, 1, 0, yes or no")


def parse_integer(text: str) -> int:
    if not _INTEGER.fullmatch(text):
        raise CellError("an integer")
    return int(text)


def parse_number(text: str) -> int | float:
    """A decimal number; an integer literal stays an int so ``12`` is stored as ``12``."""
    if _INTEGER.fullmatch(text):
        return int(text)
    if not _NUMBER.fullmatch(text):
        raise CellError("a number")
    return float(text)


def _option_parser(field: FieldSpec) -> Callable[[str], object]:
    """A cell names an option by its value's text; a non-option stays text for the schema."""
    by_text = {number_text(o.value): o.value for o in field.options}
    return lambda text: by_text.get(text, text)


def _multiselect_parser(field: FieldSpec) -> Callable[[str], list]:
    option = _option_parser(field)

    def parse(text: str) -> list:
        parts = (p.strip(WHITE_SPACE) for p in text.split(MULTISELECT_SEPARATOR))
        return [option(p) for p in parts if p]

    return parse


# --- field types: schema fragment and cell parser, registered by name ------------------------

@dataclass(frozen=True)
class FieldType:
    """How one form field type appears in JSON Schema and how a text cell becomes its value."""

    json_type: str
    parser: Callable[[FieldSpec], Callable[[str], object]]
    format: str | None = None


def _same(parse: Callable[[str], object]) -> Callable[[FieldSpec], Callable[[str], object]]:
    return lambda field: parse


def _text(text: str) -> str:
    return text


FIELD_TYPES: dict[str, FieldType] = {
    "text": FieldType("string", _same(_text)),
    "textarea": FieldType("string", _same(_text)),
    "email": FieldType("string", _same(_text), "email"),
    "phone": FieldType("string", _same(_text), "phone"),
    "url": FieldType("string", _same(_text), "uri"),
    "date": FieldType("string", _same(parse_date), "date"),
    "integer": FieldType("integer", _same(parse_integer)),
    "number": FieldType("number", _same(parse_number)),
    "boolean": FieldType("boolean", _same(parse_boolean)),
    "select": FieldType("string", _option_parser),
    "multiselect": FieldType("array", _multiselect_parser),
}


def field_type(name: str) -> FieldType:
    """The registered field type ``name``; an unknown one is named with the known ones."""
    try:
        return FIELD_TYPES[name]
    except KeyError:
        raise LookupError(f"unknown field type {name!r}; known: {', '.join(FIELD_TYPES)}") from None


FORMAT_CHECKER = FormatChecker(formats=())
FORMAT_EXPECTED = {"email": "an e-mail address", "uri": "a URL starting with http:// or https://",
                   "phone": "a phone number", "date": "a date as YYYY-MM-DD"}
_FORMAT_PATTERNS = {"email": _EMAIL, "uri": _URL, "phone": _PHONE}


def _format_check(name: str) -> Callable[[object], bool]:
    def check(value) -> bool:
        if not isinstance(value, str):
            return True  # formats constrain strings only (JSON Schema)
        if name == "date":
            try:
                parse_date(value)
            except CellError:
                return False
            return True
        return _FORMAT_PATTERNS[name].fullmatch(value) is not None

    return check


for _name in FORMAT_EXPECTED:
    FORMAT_CHECKER.checks(_name)(_format_check(_name))


def field_schema(field: FieldSpec) -> dict:
    """The JSON Schema of one field's value (null allowed unless the field is required)."""
    kind = field_type(field.type)
    schema: dict = {"title": field.label.get("en")}
    if field.type == "select":
        schema["enum"] = [o.value for o in field.options] + ([] if field.required else [None])
    elif field.type == "multiselect":
        schema["type"] = "array" if field.required else ["array", "null"]
        schema["items"] = {"enum": [o.value for o in field.options]}
        schema["uniqueItems"] = True
    else:
        schema["type"] = kind.json_type if field.required else [kind.json_type, "null"]
    if kind.format:
        schema["format"] = kind.format
    bounds = {"min": "minimum", "max": "maximum", "max_length": "maxLength", "pattern": "pattern"}
    for attribute, keyword in bounds.items():
        if getattr(field, attribute) is not None:
            schema[keyword] = getattr(field, attribute)
    return schema


def profile_schema(form: FormSpec) -> dict:
    """The JSON Schema (Draft 2020-12) of the profile data of customers of ``form``'s type."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"profile of form {form.id}",
        "type": "object",
        "additionalProperties": False,
        "required": [f.key for f in form.fields if f.required],
        "properties": {f.key: field_schema(f) for f in form.fields},
    }


# --- checking profile data --------------------------------------------------------------------

@dataclass(frozen=True)
class FieldProblem:
    """One field's value is wrong: ``value`` as given, ``expected`` what would do."""

    key: str
    value: object
    expected: str

    @property
    def message(self) -> str:
        return f"expected {self.expected}, got {describe(self.value)}"


def _expected(field: FieldSpec, keyword: str, bound) -> str:
    if keyword == "enum":
        return "one of " + ", ".join(number_text(o.value) for o in field.options)
    if keyword == "minimum":
        return f"at least {number_text(bound)}"
    if keyword == "maximum":
        return f"at most {number_text(bound)}"
    if keyword == "maxLength":
        return f"at most {bound} characters"
    if keyword == "pattern":
        return f"text matching {bound}"
    if keyword == "format":
        return FORMAT_EXPECTED[bound]
    if keyword == "uniqueItems":
        return "each option once"
    return {"integer": "an integer", "number": "a number", "boolean": "true or false",
            "array": "a list of options"}.get(field_type(field.type).json_type, "text")


class ProfileForm:
    """One form's profile checks: its schema's validator and a parser per field."""

    def __init__(self, form: FormSpec):
        self.form = form
        self.schema = profile_schema(form)
        self.validator = Draft202012Validator(self.schema, format_checker=FORMAT_CHECKER)
        self.fields = {f.key: f for f in form.fields}
        self.parsers = {f.key: field_type(f.type).parser(f) for f in form.fields}

    def not_a_field(self, key: str) -> str:
        """What is expected of a value for a key this form does not have."""
        return (f"an empty cell (form {self.form.id} of type {self.form.customer_type} has no "
                f"field {key})")

    def validate(self, data: Mapping, shown: Mapping | None = None,
                 unchanged: Collection[str] = ()) -> list[FieldProblem]:
        """Every problem with profile ``data``, in field order; ``shown`` maps a key to the
        value to quote in its message (the text cell it came from); ``unchanged`` fields are
        not in ``data`` because they keep a stored value, so they are not required."""
        shown = shown or {}
        problems = [FieldProblem(k, shown.get(k, data[k]), self.not_a_field(k)) for k in data
                    if k not in self.fields]
        for key, field in self.fields.items():
            if field.required and data.get(key) is None and key not in unchanged:
                problems.append(FieldProblem(key, shown.get(key), "a value"))
        found: dict[str, FieldProblem] = {}
        for error in self.validator.iter_errors(dict(data)):
            if error.validator in ("required", "additionalProperties") or not error.path:
                continue
            key = error.path[0]
            if key in found or data.get(key) is None:
                continue
            # An item of a list (a multiselect option) is quoted itself, not the whole cell.
            value = error.instance if len(error.path) > 1 else shown.get(key, data[key])
            found[key] = FieldProblem(key, value, _expected(self.fields[key], error.validator,
                                                            error.validator_value))
        problems.extend(found.values())
        order = list(self.fields)
        return sorted(problems, key=lambda p: order.index(p.key) if p.key in order else -1)

    def from_cells(self, cells: Mapping[str, str | None],
                   partial: bool = False) -> tuple[dict, list[FieldProblem]]:
        """Profile data from trimmed text cells (``None`` or '' is empty) of this form's
        fields, and every problem; empty fields are left out of the data. ``partial``: the
        fields without a cell keep a stored value (an update), so they are not required."""
        data: dict = {}
        problems: list[FieldProblem] = []
        for key, parse in self.parsers.items():
            text = cells.get(key)
            if text is None or text == "":
                continue
            try:
                data[key] = parse(text)
            except CellError as exc:
                problems.append(FieldProblem(key, text, exc.expected))
        failed = {p.key for p in problems}
        unchanged = [k for k in self.fields if k not in cells] if partial else ()
        checked = self.validate(data, {k: cells.get(k) for k in self.fields}, unchanged)
        problems.extend(p for p in checked if p.key not in failed)
        order = list(self.fields)
        problems.sort(key=lambda p: order.index(p.key))
        return data, problems
