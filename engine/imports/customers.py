"""The customers import kind: core attributes plus the profile of the customer's type's form.

Profile columns are checked against the published form whose ``customer_type`` is the row's
``type`` (``engine.forms``): a value in a column that form lacks is refused, and a column that
no published form of any pack has is an unknown column. A parent must be a stored customer or
one in the same file (and not the customer itself); cycles through parents are not looked for,
since nothing rolls facts up along ``parent``.
"""
from __future__ import annotations

import difflib
import json

from sqlalchemy import Column as SqlColumn, Integer, String, Table, Text, cast, exists, func, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from engine.customers.names import normalize_name
from engine.definitions.published import published_specs
from engine.forms import ProfileForm
from engine.imports import references
from engine.imports.cells import choice, identifier
from engine.imports.kinds import Column, InFileCheck, Kind, RowStager, register, text_column
from engine.imports.problems import ProblemLog
from engine.models import CUSTOMER_STATUSES, Customer, User, utcnow

CUSTOMERS = Customer.__table__
# Profile JSON is compared by a canonical text on SQLite, registered per connection.
SQLITE_CANONICAL_JSON = "kamflow_canonical_json"
STAGED_JSON = Text().with_variant(postgresql.JSON(), "postgresql")


def canonical_json(text: str | None) -> str | None:
    return None if text is None else json.dumps(json.loads(text), sort_keys=True)


def _forms(connection) -> dict[str, ProfileForm]:
    """The published form of each customer type (the first by id if several claim one)."""
    with Session(bind=connection) as session:
        specs = published_specs(session, "form")
    forms: dict[str, ProfileForm] = {}
    for spec in specs:
        forms.setdefault(spec.customer_type, ProfileForm(spec))
    return forms


class CustomerStager(RowStager):
    def __init__(self, forms: dict[str, ProfileForm], users: dict[str, int]):
        self.forms = forms
        self.users = users
        self.field_keys = frozenset(k for f in forms.values() for k in f.fields)

    def stage(self, row: int, values: dict, extra: dict, log: ProblemLog) -> tuple:
        code, kind = values["code"], values["type"]
        if values["parent"] is not None and values["parent"] == code:
            log.cell(row, "parent", "another customer's code", values["parent"])
        owner = references.resolve(self.users, row, "owner", values["owner"],
                                   references.KNOWN_USER, log)
        profile = self.profile(row, kind, extra, log) if kind is not None else {}
        name = values["name"]
        return (row, code, name, normalize_name(name) if name else None, kind,
                values["parent"], values["region"], values["city"], owner,
                values["status"] or "active", json.dumps(profile))

    def profile(self, row: int, kind: str, cells: dict, log: ProblemLog) -> dict:
        form = self.forms.get(kind)
        fields = form.fields if form else {}
        for column, value in cells.items():
            if value is not None and column not in fields:
                log.cell(row, column, self._not_in_form(kind, form, column), value)
        if form is None:
            return {}
        data, problems = form.from_cells(cells)
        for problem in problems:
            log.add(row, problem.key, problem.message)
        return data

    def _not_in_form(self, kind: str, form: ProfileForm | None, column: str) -> str:
        if form is not None:
            return form.not_a_field(column)
        close = difflib.get_close_matches(kind, list(self.forms), n=1)
        hint = f"; did you mean type {close[0]}?" if close else ""
        return f"an empty cell (no published form has customer type {kind}{hint})"


@register
class Customers(Kind):
    """customers: code, name, type, parent, region, city, owner, status, then form fields."""

    name = "customers"
    table = CUSTOMERS
    key = "code"
    columns = (
        text_column("code", Customer.code, required=True),
        text_column("name", Customer.name, required=True),
        Column("type", identifier, required=True),
        text_column("parent", Customer.parent_code),
        text_column("region", Customer.region),
        text_column("city", Customer.city),
        text_column("owner", User.username),
        Column("status", choice(CUSTOMER_STATUSES)),
    )

    def stage_columns(self):
        return [SqlColumn("name", String), SqlColumn("normalized_name", String),
                SqlColumn("type", String), SqlColumn("parent_code", String),
                SqlColumn("region", String), SqlColumn("city", String),
                SqlColumn("owner_id", Integer), SqlColumn("status", String),
                SqlColumn("profile", STAGED_JSON)]

    def begin(self, connection) -> RowStager:
        if connection.dialect.name == "sqlite":
            connection.connection.driver_connection.create_function(
                SQLITE_CANONICAL_JSON, 1, canonical_json, deterministic=True)
        return CustomerStager(_forms(connection), references.user_ids(connection))

    def extra_columns(self, stager: CustomerStager) -> frozenset[str]:
        return stager.field_keys

    def target_values(self, stage: Table) -> dict:
        names = ("code", "name", "normalized_name", "type", "parent_code", "region", "city",
                 "owner_id", "status")
        return {n: stage.c[n] for n in (*names, "profile")}

    def differences(self, dialect: str) -> dict:
        return {"profile": _profile_differs(dialect)}

    def on_update(self) -> dict:
        return {"updated_at": utcnow()}

    def in_file_checks(self, stage: Table) -> list[InFileCheck]:
        other = stage.alias("other")
        unknown = (select(stage.c.row, stage.c.parent_code)
                   .where(stage.c.parent_code.is_not(None),
                          stage.c.parent_code != stage.c.code,
                          ~exists().where(CUSTOMERS.c.code == stage.c.parent_code),
                          ~exists().where(other.c.code == stage.c.parent_code)))
        return [InFileCheck("parent", unknown,
                            "the code of a known customer or of a customer in this file")]


def _profile_differs(dialect: str):
    """JSON has no equality operator in PostgreSQL and no canonical text in SQLite: compare
    as JSONB there and as key-sorted text here, so key order never counts as a change."""
    if dialect == "postgresql":
        return lambda old, new: cast(old, JSONB).is_distinct_from(cast(new, JSONB))
    canonical = getattr(func, SQLITE_CANONICAL_JSON)
    return lambda old, new: canonical(old).is_distinct_from(canonical(new))
