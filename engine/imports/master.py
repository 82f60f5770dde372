"""Import kinds for master data: users and products (customers have their own module)."""
from __future__ import annotations

from sqlalchemy import Boolean, Column as SqlColumn, String, Table, and_, exists, select, update

from engine.imports.cells import choice, email, parse_boolean
from engine.imports.kinds import (Column, InFileCheck, Kind, RowStager, id_column, register,
                                  text_column)
from engine.imports.problems import ProblemLog
from engine.models import ROLES, SENIORITIES, Product, User

USERS = User.__table__


class UserStager(RowStager):
    def stage(self, row: int, values: dict, extra: dict, log: ProblemLog) -> tuple:
        username, manager = values["username"], values["manager"]
        if manager is not None and manager == username:
            log.cell(row, "manager", "another user's username", manager)
        active = values["active"] is not False  # empty is true
        return (row, username, values["name"], values["role"], values["seniority"],
                values["team"], manager, values["email"], active)


@register
class Users(Kind):
    """users: username, name, role, seniority, team, manager, email, active (empty: true).

    A manager may be a user already stored or one defined anywhere in the same file.
    """

    name = "users"
    table = USERS
    key = "username"
    columns = (
        id_column("username", User.username, required=True),
        text_column("name", User.name, required=True),
        Column("role", choice(ROLES), required=True),
        Column("seniority", choice(SENIORITIES)),
        text_column("team", User.team),
        id_column("manager", User.username),
        Column("email", email(320)),
        Column("active", parse_boolean),
    )

    def stage_columns(self):
        return [SqlColumn("name", String), SqlColumn("role", String),
                SqlColumn("seniority", String), SqlColumn("team", String),
                SqlColumn("manager", String), SqlColumn("email", String),
                SqlColumn("active", Boolean)]

    def begin(self, connection) -> RowStager:
        return UserStager()

    def target_values(self, stage: Table, dialect: str) -> dict:
        names = ("username", "name", "role", "seniority", "team", "email", "active")
        return {n: stage.c[n] for n in names}

    def more_differences(self, target: Table, stage: Table, present: frozenset[str]) -> list:
        if "manager" not in present:
            return []
        manager = USERS.alias("manager")
        current = (select(manager.c.username).where(manager.c.id == target.c.manager_id)
                   .correlate(target).scalar_subquery())
        return [current.is_distinct_from(stage.c.manager)]

    def in_file_checks(self, stage: Table) -> list[InFileCheck]:
        other = stage.alias("other")
        unknown = (select(stage.c.row, stage.c.manager)
                   .where(stage.c.manager.is_not(None),
                          ~exists().where(USERS.c.username == stage.c.manager),
                          ~exists().where(other.c.username == stage.c.manager)))
        return [InFileCheck("manager", unknown,
                            "the username of a known user or of a user in this file")]

    def after_merge(self, connection, stage: Table, present: frozenset[str]) -> None:
        """Managers are set once every user of the file exists."""
        if "manager" not in present:
            return
        manager = USERS.alias("manager")
        manager_id = (select(manager.c.id).where(manager.c.username == stage.c.manager)
                      .correlate(stage).scalar_subquery())
        connection.execute(
            update(USERS).where(and_(USERS.c.username == stage.c.username,
                                     USERS.c.manager_id.is_distinct_from(manager_id)))
            .values(manager_id=manager_id))


class ProductStager(RowStager):
    def stage(self, row: int, values: dict, extra: dict, log: ProblemLog) -> tuple:
        is_new = bool(values["is_new"])
        return (row, values["code"], values["name"], values["product_line"], is_new)


@register
class Products(Kind):
    """products: code, name, product_line, is_new (true/false; empty: false)."""

    name = "products"
    table = Product.__table__
    key = "code"
    columns = (
        id_column("code", Product.code, required=True),
        text_column("name", Product.name, required=True),
        text_column("product_line", Product.product_line),
        Column("is_new", parse_boolean),
    )

    def stage_columns(self):
        return [SqlColumn("name", String), SqlColumn("product_line", String),
                SqlColumn("is_new", Boolean)]

    def begin(self, connection) -> RowStager:
        return ProductStager()

    def target_values(self, stage: Table, dialect: str) -> dict:
        return {n: stage.c[n] for n in ("code", "name", "product_line", "is_new")}

