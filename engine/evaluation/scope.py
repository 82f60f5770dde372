"""The customers a ruleset applies to, and their field values (SPEC §3.2, §3.5 Scope).

In scope: a type listed in ``applies_to`` and status ``active`` (an empty status is active),
both compared exactly. Profile fields are read from the JSON profile inside SQL and are null
for customers whose form lacks the field; an empty value is null.
"""
from __future__ import annotations

from dataclasses import dataclass
from operator import itemgetter
from typing import Mapping, Sequence

import numpy as np
from sqlalchemy import ColumnElement, Connection, Select, and_, cast, select

from engine.models import Customer, User

from .loading import ProfileField
from .profile_sql import column_count, field_columns, field_vector
from .vectors import Vec

ACTIVE_STATUSES = ("active", "")
CORE_COLUMNS = {"code": "code", "name": "name", "type": "type", "parent": "parent_code",
                "region": "region", "city": "city", "status": "status"}


@dataclass(frozen=True)
class Population:
    """The customers in scope, ordered by id; every vector of a run follows this order."""

    ids: np.ndarray
    codes: np.ndarray
    fields: Mapping[str, Vec]

    def __len__(self) -> int:
        return len(self.ids)


def in_scope(customers, applies_to: Sequence[str]) -> ColumnElement[bool]:
    """The condition on ``customers`` of being in scope."""
    return and_(customers.c.type.in_(list(applies_to)), customers.c.status.in_(ACTIVE_STATUSES))


def scope_ids(applies_to: Sequence[str]) -> Select:
    """``SELECT id`` of the customers in scope."""
    customers = Customer.__table__
    return select(customers.c.id).where(in_scope(customers, applies_to))


def load_population(connection: Connection, applies_to: Sequence[str],
                    fields: Mapping[str, ProfileField]) -> Population:
    """The customers in scope with the value of every field in ``fields``."""
    dialect = connection.dialect.name
    core = {field.key for field in fields.values() if field.is_core}
    scoped = _scoped_customers(applies_to, dialect, core)
    columns: list[ColumnElement] = [scoped.c.id, scoped.c.code, scoped.c.type]
    for field in fields.values():
        columns.extend(field_columns(dialect, scoped, field))
    rows = fetch_rows(connection, select(*columns))
    rows.sort(key=itemgetter(0))
    raw = list(zip(*rows)) if rows else [()] * len(columns)
    ids = np.array(raw[0], dtype=np.int64)
    codes = np.array(raw[1], dtype=object)
    vectors, at = {}, 3
    for key, field in fields.items():
        width = column_count(field)
        vectors[key] = field_vector(field, raw[at:at + width])
        at += width
    return Population(ids, codes, vectors)


def _scoped_customers(applies_to: Sequence[str], dialect: str, core: set[str]):
    """The customers in scope with their id, code, type, profile document and the ``core``
    attributes asked for (the owner's username is joined only when asked for).

    PostgreSQL parses a ``json`` value again for every function applied to it, so the
    profile is parsed once into ``jsonb`` in a materialized CTE (kept narrow: a wide one
    spills out of ``work_mem``).
    """
    customers, users = Customer.__table__, User.__table__.alias("owner_user")
    document = customers.c.profile
    if dialect == "postgresql":
        # Imported here: the PostgreSQL dialect's modules cost a SQLite command's start-up.
        from sqlalchemy.dialects.postgresql import JSONB

        document = cast(document, JSONB)
    wanted = {"code", "type"} | core
    columns = [customers.c[column].label(key) for key, column in CORE_COLUMNS.items()
               if key in wanted]
    source = customers
    if "owner" in core:
        columns.append(users.c.username.label("owner"))
        source = customers.outerjoin(users, users.c.id == customers.c.owner_id)
    query = (select(customers.c.id, *columns, document.label("document"))
             .select_from(source).where(in_scope(customers, applies_to)))
    scoped = query.cte("scoped")
    return scoped.prefix_with("MATERIALIZED", dialect="postgresql")


def fetch_rows(connection: Connection, query: Select) -> list[tuple]:
    """Every row as a plain DBAPI tuple: no per-row result processing (callers convert)."""
    result = connection.execute(query)
    try:
        return result.cursor.fetchall()
    finally:
        result.close()
