"""Field values read in SQL: core attributes as they are, profile fields extracted from the
JSON profile and typed by their form (SPEC §3.2 ``{field: KEY}``, §3.5).

A profile field is null for customers whose form lacks it, when the profile has no value or
an empty one, and when the stored JSON value does not fit the field's type (a text where a
number belongs). Numbers, booleans and dates come out of SQL typed; text that is not a JSON
string (a number in a select field, a multiselect list) is turned into text in Python, where
a list joins its values with ``;``.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any, Sequence

import numpy as np
from sqlalchemy import ColumnElement, Float, Text, and_, case, func, literal, type_coerce
from sqlalchemy.types import NullType

from .loading import ProfileField
from .vectors import Vec, value_text


class JsonAccess:
    """How one dialect reads a key of the profile document: its JSON type name and value."""

    number_types: tuple[str, ...] = ("integer", "real")
    string_type = "text"

    def __init__(self, document: ColumnElement, key: str):
        self.document, self.key = document, key

    def type_name(self) -> ColumnElement:
        return func.json_type(self.document, f'$."{self.key}"', type_=Text)

    def value(self) -> ColumnElement:
        return type_coerce(func.json_extract(self.document, f'$."{self.key}"'), NullType)

    def number(self) -> ColumnElement:
        return self.value()

    def truth(self) -> tuple[ColumnElement, ColumnElement]:
        """Conditions for JSON ``true`` and ``false``."""
        return self.type_name() == "true", self.type_name() == "false"


class JsonbAccess(JsonAccess):
    """PostgreSQL, on the profile parsed once into ``jsonb``."""

    number_types = ("number",)
    string_type = "string"

    def type_name(self) -> ColumnElement:
        return func.jsonb_typeof(self.document.op("->")(literal(self.key)), type_=Text)

    def value(self) -> ColumnElement:
        return type_coerce(self.document.op("->>")(literal(self.key)), Text)

    def number(self) -> ColumnElement:
        return self.value().cast(Float)

    def truth(self) -> tuple[ColumnElement, ColumnElement]:
        boolean = self.type_name() == "boolean"
        return and_(boolean, self.value() == "true"), and_(boolean, self.value() == "false")


def column_count(field: ProfileField) -> int:
    """How many result columns :func:`field_columns` gives for ``field``."""
    return 2 if not field.is_core and field.kind == "text" else 1


def field_columns(dialect: str, scoped, field: ProfileField) -> list[ColumnElement]:
    """The SQL columns holding ``field`` for each customer of the ``scoped`` CTE."""
    if field.is_core:
        return [scoped.c[field.key]]
    access = (JsonbAccess if dialect == "postgresql" else JsonAccess)(scoped.c.document,
                                                                      field.key)
    has_form = scoped.c.type.in_(sorted(field.customer_types))
    kind, type_name = field.kind, access.type_name()
    if kind == "number":
        return [case((and_(has_form, type_name.in_(access.number_types)), access.number()))]
    if kind == "boolean":
        true, false = access.truth()
        return [case((and_(has_form, true), 1), (and_(has_form, false), 0))]
    string = type_name == access.string_type
    other = and_(has_form, type_name.not_in([access.string_type, "null"]))
    value = case((and_(has_form, string), func.nullif(access.value(), "")),
                 (other, access.value()))
    if kind == "date":
        return [value]
    # The JSON type of values that are not strings, to turn them into text in Python.
    return [value, case((other, type_name))]


def field_vector(field: ProfileField, columns: Sequence[Sequence[Any]]) -> Vec:
    """The vector of ``field`` from the columns :func:`field_columns` selected."""
    values = columns[0]
    if field.is_core:
        return Vec.of("text", np.array([None if v == "" else v for v in values], dtype=object))
    if field.kind == "number":
        return Vec.of("number", np.array(values, dtype=np.float64))
    if field.kind == "boolean":
        flags = np.array(values, dtype=np.float64)
        return Vec.of("boolean", flags == 1, np.isnan(flags))
    if field.kind == "date":
        return Vec.from_python("date", [_date_of(v) for v in values])
    texts = np.array(values, dtype=object)
    for index, json_type in enumerate(columns[1]):
        if json_type is not None:
            texts[index] = _text_of(json_type, values[index])
    return Vec.of("text", texts)


def _text_of(json_type: str, value: Any) -> str | None:
    """A JSON value that is not a string as field text; a list joins its values with ';'."""
    if json_type in ("true", "false"):
        return json_type
    if json_type == "boolean":
        return str(value)
    if json_type in ("integer", "real", "number"):
        return value_text(float(value))
    if json_type == "array":
        items = [value_text(item) for item in json.loads(value) if item not in (None, "")]
        return ";".join(items) or None
    return str(value)


def _date_of(text: str | None) -> dt.date | None:
    if not isinstance(text, str):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None
