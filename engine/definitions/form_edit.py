"""Structured edits of a form's text (the studio's form designer) that keep the rest as it was.

``apply_changes(text, changes)`` returns the form's text with its fields added, removed,
reordered or changed (``AddField``, ``RemoveField``, ``MoveField``, ``Reorder``,
``SetAttribute``); a change that does not fit raises ``FormEditError`` naming the field and
the attribute, and nothing is changed. The result is not validated here: a draft is saved
through ``engine.definitions.drafts.save_text``, checked like ``pack import``.

YAML is edited with ruamel.yaml's round trip, which keeps comments. Where ruamel's own output
of the unedited document corresponds line by line to the original text, only the lines the
edit changes are replaced, so quoting and spacing elsewhere stay exactly as written. JSON
(which holds no comments) is rewritten whole.
"""
from __future__ import annotations

import difflib
import io
import json
import re
from dataclasses import dataclass
from typing import Any, Union

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from engine.definitions.catalog import expression_message
from engine.definitions.documents import Document, read_document
from engine.definitions.metric_checks import field_type as expression_type
from engine.definitions.source import SourceFile
from engine.definitions.validate import check_documents, sort_problems
from engine.definitions.yamlsafe import parse_text
from engine.errors import ExpressionError, Problem
from engine.expr import BOOLEAN, TEXT, check, parse
from engine.facts import CORE_ATTRIBUTES
from engine.forms import FIELD_TYPES

KEY_PATTERN = re.compile(r"[a-z][a-z0-9_]*\Z")
TEXT_ATTRIBUTES = ("label", "help", "section")
ATTRIBUTES = ("key", "type", "label", "required", "min", "max", "max_length", "pattern",
              "options", "default", "help", "section", "visible_if")
LOCALES = ("zh", "en")


class FormEditError(ValueError):
    """A change that does not fit the form: ``field`` (a key, or None for the whole form) and
    ``attribute`` say where, the message what is wrong."""

    def __init__(self, message: str, field: str | None = None, attribute: str | None = None):
        self.field, self.attribute, self.reason = field, attribute, message
        where = f"field {field!r}" + (f", {attribute}" if attribute else "") if field else "form"
        super().__init__(f"{where}: {message}")


# --- changes --------------------------------------------------------------------------------

@dataclass(frozen=True)
class AddField:
    """A new field after the field ``after`` (None: at the end)."""

    key: str
    type: str
    label: dict
    required: bool = False
    after: str | None = None


@dataclass(frozen=True)
class RemoveField:
    key: str


@dataclass(frozen=True)
class MoveField:
    """Move a field to position ``to`` (0-based; the others shift)."""

    key: str
    to: int


@dataclass(frozen=True)
class Reorder:
    """Put the fields in the order of ``keys`` (every key once)."""

    keys: tuple[str, ...]


@dataclass(frozen=True)
class SetAttribute:
    """Set one attribute of a field; ``None`` removes it. ``label``/``help``/``section`` take
    a locale → text map (an empty text removes that locale); ``options`` a list of
    ``(value, {locale: text})``."""

    key: str
    attribute: str
    value: Any


Change = Union[AddField, RemoveField, MoveField, Reorder, SetAttribute]


def apply_changes(text: str, changes: list[Change], file_format: str = "yaml") -> str:
    """``text`` with ``changes`` applied in order; ``FormEditError`` if one does not fit."""
    if file_format == "json":
        document = _load_json(text)
        if not _apply_all(document, changes):
            return text
        return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    round_trip = _yaml(text)
    document = _load_yaml(round_trip, text)
    before = _dump(round_trip, document)
    if not _apply_all(document, changes):
        return text
    return _merge(text, before, _dump(round_trip, document))


def read_fields(text: str, file_format: str = "yaml") -> list[dict]:
    """The form's fields as plain data (as the designer shows them)."""
    if file_format == "json":
        document = _load_json(text)
    else:
        document = _safe_content(text)       # the safe reader: no round trip needed to read
    return [_plain(f) for f in _fields(document)]


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


# --- applying -------------------------------------------------------------------------------

def _fields(document: Any) -> list:
    if not isinstance(document, dict) or document.get("kind") != "form":
        raise FormEditError("the text is not a form (kind: form)")
    fields = document.get("fields")
    if not isinstance(fields, list) or not all(isinstance(f, dict) and "key" in f
                                               for f in fields):
        raise FormEditError("'fields' is not a list of fields with keys; fix it in the YAML "
                            "editor first")
    return fields


def _index(fields: list, key: str) -> int:
    for i, field in enumerate(fields):
        if field.get("key") == key:
            return i
    raise FormEditError("no such field", key)


def _apply_all(document: Any, changes: list[Change]) -> bool:
    """Apply ``changes`` to ``document`` in place; whether anything changed."""
    fields = _fields(document)
    before = json.dumps(_plain(fields), sort_keys=True, default=str)
    for change in changes:
        _APPLY[type(change)](fields, change)
    return json.dumps(_plain(fields), sort_keys=True, default=str) != before


def _check_key(fields: list, key: str, own: int | None = None) -> None:
    if not isinstance(key, str) or not KEY_PATTERN.match(key):
        raise FormEditError("a key is a lowercase letter followed by lowercase letters, "
                            "digits or '_'", key or "", "key")
    if key in CORE_ATTRIBUTES:
        raise FormEditError(f"{key!r} is a core attribute", key, "key")
    if any(f.get("key") == key for i, f in enumerate(fields) if i != own):
        raise FormEditError(f"{key!r} is already a field", key, "key")


def _check_type(key: str, kind: str) -> None:
    if kind not in FIELD_TYPES:
        raise FormEditError(f"unknown field type {kind!r}; known: {', '.join(FIELD_TYPES)}",
                            key, "type")


def _add(fields: list, change: AddField) -> None:
    _check_key(fields, change.key)
    _check_type(change.key, change.type)
    label = _text_node(None, change.label)
    if label is None:
        raise FormEditError("a label needs text in at least one language", change.key, "label")
    field = CommentedMap([("key", change.key), ("label", label), ("type", change.type)])
    if change.required:
        field["required"] = True
    at = len(fields) if change.after is None else _index(fields, change.after) + 1
    fields.insert(at, field)


def _remove(fields: list, change: RemoveField) -> None:
    if len(fields) == 1:
        raise FormEditError("a form keeps at least one field", change.key)
    del fields[_index(fields, change.key)]


def _move(fields: list, change: MoveField) -> None:
    index = _index(fields, change.key)
    if not 0 <= change.to < len(fields):
        raise FormEditError(f"position {change.to + 1} is outside 1–{len(fields)}", change.key)
    if index != change.to:
        fields.insert(change.to, fields.pop(index))


def _reorder(fields: list, change: Reorder) -> None:
    keys = [f.get("key") for f in fields]
    if sorted(change.keys) != sorted(keys):
        missing = sorted(set(keys) - set(change.keys))
        extra = sorted(set(change.keys) - set(keys))
        raise FormEditError("the new order must name every field once"
                            + (f"; missing: {', '.join(missing)}" if missing else "")
                            + (f"; unknown: {', '.join(map(str, extra))}" if extra else ""))
    by_key = {f.get("key"): f for f in fields}
    fields[:] = [by_key[k] for k in change.keys]


def _set(fields: list, change: SetAttribute) -> None:
    index = _index(fields, change.key)
    field, name, value = fields[index], change.attribute, change.value
    if name not in ATTRIBUTES:
        raise FormEditError(f"unknown attribute {name!r}; known: {', '.join(ATTRIBUTES)}",
                            change.key, name)
    if name == "key":
        if value != change.key:
            _check_key(fields, value, own=index)
            field["key"] = value
        return
    if name == "type":
        _check_type(change.key, value)
    if name in TEXT_ATTRIBUTES:
        value = _text_node(field.get(name), value or {})
        if value is None and name == "label":
            raise FormEditError("a label needs text in at least one language", change.key, name)
    elif name == "options" and value is not None:
        value = _options_node(field.get("options"), value, change.key)
    _put(field, name, value)


def _put(field: CommentedMap, name: str, value: Any) -> None:
    """Set ``name``, after the attributes that come before it in ``ATTRIBUTES`` when new."""
    if value is None:
        field.pop(name, None)
        return
    if name in field or not isinstance(field, CommentedMap):
        field[name] = value
        return
    order = ATTRIBUTES.index(name)
    at = sum(1 for k in field if k in ATTRIBUTES and ATTRIBUTES.index(k) < order)
    field.insert(at, name, value)


def _text_node(old: Any, texts: dict) -> Any:
    """Human text with ``texts`` set in the old map (other keys kept); None when empty."""
    node = old if isinstance(old, dict) else _flow_map()
    for locale, text in texts.items():
        text = (text or "").strip()
        if text:
            node[locale] = text
        else:
            node.pop(locale, None)
    if not any(isinstance(v, str) and v for v in node.values()):
        return None
    return node


def _flow_map(items=()) -> CommentedMap:
    node = CommentedMap(items)
    node.fa.set_flow_style()
    return node


def _options_node(old: Any, options: list, key: str) -> Any:
    """The options list with each entry's value and labels updated in place, new entries
    added and extra ones removed; None when ``options`` is empty."""
    if not options:
        return None
    node = old if isinstance(old, list) else CommentedSeq()
    for j, (value, texts) in enumerate(options):
        if value is None or str(value).strip() == "":
            raise FormEditError(f"option {j + 1} has no value", key, "options")
        entry = node[j] if j < len(node) and isinstance(node[j], dict) else None
        label = _text_node(entry.get("label") if entry else None, texts)
        if label is None:
            label = _flow_map([("en", str(value))])
        if entry is None:
            entry = _flow_map([("value", value), ("label", label)])
            if j < len(node):
                node[j] = entry
            else:
                node.append(entry)
        else:
            if entry.get("value") != value:
                entry["value"] = value
            entry["label"] = label
    del node[len(options):]
    return node


_APPLY = {AddField: _add, RemoveField: _remove, MoveField: _move, Reorder: _reorder,
          SetAttribute: _set}


# --- checks the designer shows as the admin types ---------------------------------------------

def check_visible_if(fields: list[dict], key: str, expression: str) -> str | None:
    """What is wrong with ``expression`` as the ``visible_if`` of field ``key`` (a yes/no
    expression over the other fields and the core attributes), as ``pack import`` says it;
    None when it checks."""
    env = {name: TEXT for name in CORE_ATTRIBUTES}
    env.update({f["key"]: expression_type(f) for f in fields
                if isinstance(f, dict) and isinstance(f.get("key"), str)})
    try:
        check(parse(expression), env, expect=BOOLEAN)
    except ExpressionError as exc:
        return expression_message(expression, exc)
    return None


def check_text(text: str, published: list[Document], file_format: str = "yaml") -> list[Problem]:
    """Every problem ``pack import`` would report for this form's text against the
    ``published`` definitions (as saving a draft checks it), without storing anything."""
    name = f"forms/draft.{'json' if file_format == 'json' else 'yaml'}"
    doc, problems = read_document(SourceFile(name, text))
    if doc is not None:
        problems += check_documents([doc], published)
    return sort_problems(problems)


# --- YAML and JSON ----------------------------------------------------------------------------

def _load_json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise FormEditError(f"the text is not valid JSON ({exc}); fix it in the YAML editor "
                            "first") from None


def _yaml(text: str) -> YAML:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    sequence, offset = _list_indentation(text)
    yaml.indent(mapping=2, sequence=sequence, offset=offset)
    return yaml


_FIELDS_DASH = re.compile(r"^fields:[ \t]*(?:#.*)?\n(?:[ \t]*(?:#.*)?\n)*( *)- ", re.M)


def _list_indentation(text: str) -> tuple[int, int]:
    """(sequence indent, dash offset) as the text writes the list of fields."""
    match = _FIELDS_DASH.search(text)
    offset = len(match.group(1)) if match else 2
    return offset + 2, offset


def _safe_content(text: str) -> Any:
    """``text`` read by the safe reader of ``pack import`` (size, depth and alias limits)."""
    parsed = parse_text(text, "forms/form.yaml")
    if parsed.problems:
        raise FormEditError(f"the text cannot be read ({parsed.problems[0].message}); fix it in "
                            "the YAML editor first")
    return parsed.content


def _load_yaml(round_trip: YAML, text: str) -> Any:
    """The round-trip document of ``text``, once the safe reader has read it."""
    _safe_content(text)
    try:
        return round_trip.load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise FormEditError(f"the text is not valid YAML{where}; fix it in the YAML editor "
                            "first") from None


def _dump(round_trip: YAML, document: Any) -> str:
    out = io.StringIO()
    round_trip.dump(document, out)
    return out.getvalue()


def _merge(original: str, before: str, after: str) -> str:
    """``original`` with the lines where ``after`` differs from ``before`` (both written by
    ruamel) replaced; all of ``after`` when ruamel's lines do not correspond to the
    original's one to one."""
    old, ours, theirs = (t.splitlines(keepends=True) for t in (original, before, after))
    if len(old) != len(ours):
        return after
    out: list[str] = []
    matcher = difflib.SequenceMatcher(None, ours, theirs, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        out += old[i1:i2] if tag == "equal" else theirs[j1:j2]
    merged = "".join(out)
    if not original.endswith("\n") and merged.endswith("\n"):
        merged = merged[:-1]
    return merged
