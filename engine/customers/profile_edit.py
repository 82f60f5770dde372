"""Editing a customer's profile through its form: ``visible_if``, validation, the audit entry.

A form field with ``visible_if`` is shown only while its expression holds over the other
fields (and the core attributes). An edit sends a text cell per shown field; a hidden field
keeps its stored value. The cells are checked whole with the form's JSON Schema
(``engine.forms.ProfileForm``): one problem and nothing is stored.
"""
from __future__ import annotations

import datetime as dt
import functools
from typing import Any, Mapping

from sqlalchemy.orm import Session

from engine import audit
from engine.definitions.metric_checks import field_type as expr_type_of
from engine.definitions.specs import FieldSpec, FormSpec
from engine.errors import ExpressionError
from engine.expr import BOOLEAN, DATE, NUMBER, compile_python, parse
from engine.facts import CORE_ATTRIBUTES
from engine.forms import CellError, FieldProblem, ProfileForm
from engine.models import Customer

OBJECT_TYPE = "customer"
ACTION = "customer.profile"


def _env(form: FormSpec) -> dict:
    env = {name: expr_type_of({"type": "text"}) for name in CORE_ATTRIBUTES}
    env.update({f.key: expr_type_of({"type": f.type}) for f in form.fields})
    return env


@functools.lru_cache(maxsize=256)
def _compiled(expression: str, env_items: tuple):
    return compile_python(parse(expression), dict(env_items))


def _typed(value: Any, kind) -> Any:
    """A stored or submitted value as the expression reads it; a value of the wrong kind
    (an old import, a half-typed number) reads as null."""
    if value is None:
        return None
    if kind == NUMBER:
        return value if isinstance(value, int | float) and not isinstance(value, bool) else None
    if kind == BOOLEAN:
        return value if isinstance(value, bool) else None
    if kind == DATE:
        try:
            return dt.date.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            return None
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return value if isinstance(value, str) else str(value)


def visible_keys(form: FormSpec, values: Mapping[str, Any], core: Mapping[str, Any]) -> set[str]:
    """The keys of the fields shown for profile ``values`` and core attributes ``core``."""
    env = _env(form)
    known = {name: _typed(core.get(name), env[name]) for name in CORE_ATTRIBUTES}
    known.update({f.key: _typed(values.get(f.key), env[f.key]) for f in form.fields})
    items = tuple(sorted(env.items()))
    shown = set()
    for field in form.fields:
        if field.visible_if is None:
            shown.add(field.key)
            continue
        try:
            if _compiled(field.visible_if, items)(known) is True:
                shown.add(field.key)
        except (ExpressionError, TypeError, ValueError):
            shown.add(field.key)   # a form that no longer checks shows the field
    return shown


def _lenient(checks: ProfileForm, field: FieldSpec, cell: str | None) -> Any:
    if cell is None or cell == "":
        return None
    try:
        return checks.parsers[field.key](cell)
    except CellError:
        return None


def submitted_values(form: FormSpec, stored: Mapping[str, Any],
                     cells: Mapping[str, str | None]) -> dict[str, Any]:
    """The profile as the submitted cells would make it (unparseable cells read as null): what
    decides which fields are shown while editing."""
    checks = ProfileForm(form)
    values = dict(stored)
    for field in form.fields:
        if field.key in cells:
            values[field.key] = _lenient(checks, field, cells[field.key])
    return values


def save_profile(session: Session, actor: str, customer: Customer, form: FormSpec,
                 cells: Mapping[str, str | None]) -> list[FieldProblem]:
    """Store the shown fields' cells in ``customer``'s profile, or return every problem (and
    store nothing). Hidden fields and fields without a cell keep their stored value; an
    empty cell clears a field."""
    stored = dict(customer.profile or {})
    core = {"code": customer.code, "name": customer.name, "type": customer.type,
            "parent": customer.parent_code, "region": customer.region, "city": customer.city,
            "owner": customer.owner.username if customer.owner else None,
            "status": customer.status}
    shown = visible_keys(form, submitted_values(form, stored, cells), core)
    given = {key: cells[key] for key in shown if key in cells}
    data, problems = ProfileForm(form).from_cells(given, partial=True)
    if problems:
        return problems
    profile = dict(stored)
    for key in given:
        if key in data:
            profile[key] = data[key]
        else:
            profile.pop(key, None)
    changed = {key: [stored.get(key), profile.get(key)]
               for key in sorted(set(stored) | set(profile)) if stored.get(key) != profile.get(key)}
    if changed:
        customer.profile = profile
        audit.record(session, actor, ACTION, OBJECT_TYPE, customer.code,
                     {"customer_code": customer.code, "form": form.id, "changed": changed})
    return []
