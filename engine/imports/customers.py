"""The customers import kind: core attributes plus the profile of the customer's type's form.

Profile columns are checked against the published form whose ``customer_type`` is the row's
``type`` (``engine.forms``): a value in a column that form lacks is refused, and a column that
no published form of any pack has is an unknown column. Profile columns update only their
fields (an empty cell clears one); fields without a column keep their stored values, since ERP
exports rarely carry what reps record in kamflow. A new customer, or one whose type changes,
gets the file's profile alone, so its form's required fields must be in the file.

A parent must be a stored customer or one in the same file (and not the customer itself);
cycles through parents are not looked for, since nothing rolls facts up along ``parent``.
"""
from __future__ import annotations

import difflib
import json

from sqlalchemy import (Column as SqlColumn, Integer, String, Table, Text, case, cast, exists, func,
                        literal, or_, select)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from engine.customers import merged
from engine.customers.names import normalize_name
from engine.definitions.published import published_specs
from engine.forms import ProfileForm
from engine.imports import references
from engine.imports.cells import DateTimeText, choice, identifier
from engine.imports.kinds import (Column, InFileCheck, Kind, RowStager, id_column, register,
                                  text_column)
from engine.imports.problems import ProblemLog
from engine.models import CUSTOMER_STATUSES, Customer, User, utcnow

CUSTOMERS = Customer.__table__
STORED = CUSTOMERS.alias("stored")
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
    def __init__(self, forms: dict[str, ProfileForm], users: dict[str, int],
                 stored_types: dict[str, str], merged_codes: dict[str, str]):
        self.forms = forms
        self.users = users
        self.stored_types = stored_types
        self.merged_codes = merged_codes   # a merged customer's code → the one kept
        self.field_keys = frozenset(k for f in forms.values() for k in f.fields)

    def stage(self, row: int, values: dict, extra: dict, log: ProblemLog) -> tuple:
        code, kind = values["code"], values["type"]
        for column in ("code", "parent"):
            if values[column] in self.merged_codes:
                log.cell(row, column, merged.instead_of_merged(
                    values[column], self.merged_codes[values[column]]), values[column])
        if values["parent"] is not None and values["parent"] == code:
            log.cell(row, "parent", "another customer's code", values["parent"])
        owner = references.resolve(self.users, row, "owner", values["owner"],
                                   references.KNOWN_USER, log)
        patch = self.profile_patch(row, code, kind, extra, log) if kind is not None else {}
        name = values["name"]
        return (row, code, name, normalize_name(name) if name else None, kind,
                values["parent"], values["region"], values["city"], owner,
                values["status"] or "active", json.dumps(patch))

    def profile_patch(self, row: int, code: str, kind: str, cells: dict,
                      log: ProblemLog) -> dict:
        """The profile fields this row sets: a value, or ``None`` for an emptied cell. A
        field without a column keeps its stored value, unless the customer is new or
        changes type (its profile is then the file's alone, and required fields must be
        there)."""
        form = self.forms.get(kind)
        fields = form.fields if form else {}
        for column, value in cells.items():
            if value is not None and column not in fields:
                log.cell(row, column, self._not_in_form(kind, form, column), value)
        if form is None:
            return {}
        cells = {k: v.day if type(v) is DateTimeText and k in fields and fields[k].type == "date"
                 else v for k, v in cells.items()}
        partial = self.stored_types.get(code) == kind
        data, problems = form.from_cells(cells, partial=partial)
        for problem in problems:
            log.add(row, problem.key, problem.message)
        return {key: data.get(key) for key in fields if key in cells}

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
    sources = {"parent_code": "parent", "owner_id": "owner", "normalized_name": "name"}
    columns = (
        id_column("code", Customer.code, required=True),
        text_column("name", Customer.name, required=True),
        Column("type", identifier, required=True),
        id_column("parent", Customer.parent_code),
        text_column("region", Customer.region),
        text_column("city", Customer.city),
        id_column("owner", User.username),
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
        stored_types = dict(connection.execute(select(Customer.code, Customer.type)).all())
        return CustomerStager(_forms(connection), references.user_ids(connection),
                              stored_types, merged.merged_codes(connection))

    def extra_columns(self, stager: CustomerStager) -> frozenset[str]:
        return stager.field_keys

    def extra_labels(self, stager: CustomerStager) -> list[tuple[str, str]]:
        """Each form field's labels (every locale): a header may name the field by them."""
        return [(text, key) for form in stager.forms.values()
                for key, spec in form.fields.items() for text in spec.label.by_locale.values()
                if isinstance(text, str) and text]

    def target_values(self, stage: Table, dialect: str) -> dict:
        names = ("code", "name", "normalized_name", "type", "parent_code", "region", "city",
                 "owner_id", "status")
        return {**{n: stage.c[n] for n in names}, "profile": _merged_profile(stage, dialect)}

    def source(self, stage: Table):
        return stage.outerjoin(STORED, STORED.c.code == stage.c.code)

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


def _merged_profile(stage: Table, dialect: str):
    """The profile to store: the staged patch over the stored profile (a ``null`` in the
    patch removes a field), or the patch alone for a new customer or one that changes type.
    SQLite's ``json_patch`` and PostgreSQL's ``||`` + ``jsonb_strip_nulls`` both do that."""
    replace = or_(STORED.c.id.is_(None), STORED.c.type.is_distinct_from(stage.c.type))
    if dialect == "postgresql":
        patch = cast(stage.c.profile, JSONB)
        stored = cast(func.coalesce(STORED.c.profile, cast({}, postgresql.JSON)), JSONB)
        merged = case((replace, patch), else_=stored.op("||")(patch))
        return cast(func.jsonb_strip_nulls(merged), postgresql.JSON)
    stored = case((replace, literal("{}")), else_=func.coalesce(STORED.c.profile, "{}"))
    return func.json_patch(stored, stage.c.profile)
