"""The form designer's posted inputs as ``engine.definitions.form_edit`` changes.

Every field of the form is posted with its attributes (``f-<key>-<attribute>``, labels as
``f-<key>-label-zh``, options as ``f-<key>-opt-<n>-value``); only the attributes that differ
from the working text become changes, so the rest of the text stays as it was. A value that
cannot be read (``min`` that is not a number) is an error at that input, and its change is
left out.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask_babel import gettext as _

from engine.definitions import form_edit as edit
from engine.forms import FALSE_WORDS, TRUE_WORDS, cell_text, number_text  # noqa: F401  (cell_text: for the template)

_INTEGER = re.compile(r"[+-]?\d+\Z")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\Z")
CHOICE_TYPES = ("select", "multiselect")


def name(key: str, *parts) -> str:
    """The input name of a field's attribute: ``f-beds-min``, ``f-beds-label-zh``."""
    return "-".join(("f", key) + tuple(str(p) for p in parts))


def texts_of(value) -> dict[str, str]:
    """Human text as the zh and en inputs show it (a plain string in both)."""
    if isinstance(value, dict):
        return {locale: value.get(locale) or "" for locale in edit.LOCALES}
    return {locale: value or "" for locale in edit.LOCALES}


def option_rows(field_: dict) -> list[tuple[str, dict[str, str]]]:
    return [(number_text(o.get("value")), texts_of(o.get("label")))
            for o in field_.get("options") or [] if isinstance(o, dict)]


@dataclass
class Submission:
    """The changes a post asks for and the inputs that could not be read."""

    changes: list = field(default_factory=list)
    renames: list = field(default_factory=list)
    errors: dict[tuple[str, str], str] = field(default_factory=dict)


def read_edits(form, fields: list[dict]) -> Submission:
    """The attribute changes, the new order and the key renames posted for ``fields``."""
    out = Submission()
    for field_ in fields:
        key = field_["key"]
        if name(key, "present") in form:
            _field_changes(form, field_, out)
    order = [k for k in (form.get("order") or "").split(",") if k]
    if order and order != [f["key"] for f in fields]:
        out.changes.append(edit.Reorder(tuple(order)))
    return out


def _field_changes(form, field_: dict, out: Submission) -> None:
    key = field_["key"]

    def changed(attribute: str, value, current) -> None:
        if value != current:
            out.changes.append(edit.SetAttribute(key, attribute, value))

    kind = form.get(name(key, "type"), field_.get("type"))
    changed("type", kind, field_.get("type"))
    for attribute in edit.TEXT_ATTRIBUTES:
        posted = {loc: (form.get(name(key, attribute, loc)) or "").strip() for loc in edit.LOCALES}
        if posted != texts_of(field_.get(attribute)):
            out.changes.append(edit.SetAttribute(key, attribute, posted))
    changed("required", True if form.get(name(key, "required")) else None,
            True if field_.get("required") else None)
    for attribute, parse in (("min", _number), ("max", _number), ("max_length", _length)):
        text = (form.get(name(key, attribute)) or "").strip()
        try:
            changed(attribute, parse(text), field_.get(attribute))
        except ValueError as exc:
            out.errors[(key, attribute)] = str(exc)
    for attribute in ("pattern", "visible_if"):
        changed(attribute, (form.get(name(key, attribute)) or "").strip() or None,
                field_.get(attribute))
    if kind in CHOICE_TYPES:
        _option_changes(form, field_, out)
    try:
        changed("default", _default(form.get(name(key, "default")) or "", kind, field_),
                field_.get("default"))
    except ValueError as exc:
        out.errors[(key, "default")] = str(exc)
    new_key = (form.get(name(key, "key")) or key).strip()
    if new_key != key:
        out.renames.append(edit.SetAttribute(key, "key", new_key))


def _option_changes(form, field_: dict, out: Submission) -> None:
    key = field_["key"]
    rows, n = [], 0
    while name(key, "opt", n, "value") in form:
        value = (form.get(name(key, "opt", n, "value")) or "").strip()
        texts = {loc: (form.get(name(key, "opt", n, loc)) or "").strip() for loc in edit.LOCALES}
        if value:
            rows.append((value, texts))
        elif any(texts.values()):
            out.errors[(key, "options")] = _("Option %(n)d has a label but no value.", n=n + 1)
            return
        n += 1
    if rows == option_rows(field_):
        return
    # An option keeps its stored value (a number stays a number) when its text is unchanged.
    stored = {number_text(o.get("value")): o.get("value")
              for o in field_.get("options") or [] if isinstance(o, dict)}
    out.changes.append(edit.SetAttribute(key, "options",
                                         [(stored.get(v, v), t) for v, t in rows]))


def _number(text: str):
    if not text:
        return None
    if _INTEGER.match(text):
        return int(text)
    if _NUMBER.match(text):
        return float(text)
    raise ValueError(_("Enter a number."))


def _length(text: str):
    if not text:
        return None
    if not text.isdigit() or int(text) < 1:
        raise ValueError(_("Enter a whole number of at least 1."))
    return int(text)


def _default(text: str, kind: str, field_: dict):
    """The posted default as a value of the field's type."""
    text = text.strip()
    if not text:
        return None
    if kind == "integer":
        if not _INTEGER.match(text):
            raise ValueError(_("Enter a whole number."))
        return int(text)
    if kind == "number":
        return _number(text)
    if kind == "boolean":
        if text.lower() in TRUE_WORDS:
            return True
        if text.lower() in FALSE_WORDS:
            return False
        raise ValueError(_("Choose yes or no."))
    stored = {number_text(o.get("value")): o.get("value")
              for o in field_.get("options") or [] if isinstance(o, dict)}
    if kind == "multiselect":
        return [stored.get(p.strip(), p.strip()) for p in text.split(";") if p.strip()]
    return stored.get(text, text)
