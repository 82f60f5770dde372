"""What an import kind is: its file columns, its staged columns and how staged rows merge.

A kind (users, products, customers, orders, payments, visits) is a small class registered by
name in ``KINDS``. The importer reads a file row by row, parses each cell with the kind's
``Column`` parsers, and hands the parsed values to the kind's ``RowStager``, which resolves
references and returns the tuple to stage. Everything about merging the staged rows into the
kind's table is described here as SQL expressions over the staging table.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, ClassVar

from sqlalchemy import Column as SqlColumn, ColumnElement, Integer, String, Table

from engine.imports.cells import Parser, code, text
from engine.imports.problems import ProblemLog

KINDS: dict[str, "Kind"] = {}


def register(cls: type["Kind"]) -> type["Kind"]:
    """Class decorator: make the kind importable by its name."""
    KINDS[cls.name] = cls()
    return cls


def get_kind(name: str) -> "Kind":
    """The kind registered as ``name``; an unknown name is named with the known ones."""
    try:
        return KINDS[name]
    except KeyError:
        raise LookupError(f"unknown import kind {name!r}; known: {', '.join(KINDS)}") from None


@dataclass(frozen=True)
class Column:
    """One column of an import file: its header name, its cell parser, required or not."""

    name: str
    parse: Parser
    required: bool = False


def text_column(name: str, model_column, required: bool = False) -> Column:
    """A text column no longer than the database column it is stored in."""
    return Column(name, text(model_column.property.columns[0].type.length), required)


def id_column(name: str, model_column, required: bool = False) -> Column:
    """An id (or a reference to one) that fits the database column it is stored in, or is
    looked up in: normalized, and refused if it could be mistaken for another
    (``engine.imports.cells.code``)."""
    return Column(name, code(model_column.property.columns[0].type.length), required)


class RowStager:
    """Per import: resolves one row's references and returns the tuple to stage.

    The tuple is ``(row, key, *values of Kind.stage_columns)``; a value that failed to parse
    or resolve is ``None`` (the file is rejected anyway, but its key still counts for the
    repeated-id check).
    """

    def stage(self, row: int, values: dict, extra: dict, log: ProblemLog) -> tuple:
        raise NotImplementedError


Difference = Callable[[ColumnElement, ColumnElement], ColumnElement]


def distinct(old: ColumnElement, new: ColumnElement) -> ColumnElement:
    return old.is_distinct_from(new)


@dataclass(frozen=True)
class InFileCheck:
    """A cross-row check run in SQL over the staged rows: ``query`` selects (row, value) of
    each offending row (ordered by row); ``expected`` is what the value should have been."""

    column: str
    query: object
    expected: str


class Kind:
    """An import kind. Subclasses set the class attributes and override the hooks."""

    name: ClassVar[str]
    table: ClassVar[Table]
    key: ClassVar[str]
    columns: ClassVar[tuple[Column, ...]]
    # Target column → the file column it comes from, where their names differ.
    sources: ClassVar[dict[str, str]] = {}

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def stage_columns(self) -> list[SqlColumn]:
        """The staged columns after ``row`` and the key."""
        raise NotImplementedError

    def staging_columns(self) -> list[SqlColumn]:
        key_length = self.table.c[self.key].type.length
        return [SqlColumn("row", Integer, primary_key=True, autoincrement=False),
                SqlColumn(self.key, String(key_length)), *self.stage_columns()]

    def begin(self, connection) -> RowStager:
        """A stager for one import, with what it must know from the database loaded."""
        raise NotImplementedError

    def extra_columns(self, stager: RowStager) -> frozenset[str]:
        """Header names accepted beside ``columns`` (a customer's form fields)."""
        return frozenset()

    def extra_labels(self, stager: RowStager) -> list[tuple[str, str]]:
        """(label, column) of headers that may name an extra column by its label."""
        return []

    def target_values(self, stage: Table, dialect: str) -> dict[str, ColumnElement]:
        """Target column → expression over ``source(stage)``, the key included."""
        raise NotImplementedError

    def source(self, stage: Table):
        """What ``target_values`` select from: the staging table, or a join with it."""
        return stage

    def merged_values(self, stage: Table, dialect: str,
                      present: frozenset[str]) -> dict[str, ColumnElement]:
        """``target_values`` but those whose file column the header lacks: a column left out
        of a file leaves that attribute as stored (a new row gets its default)."""
        file_columns = set(self.column_names)
        return {name: value for name, value in self.target_values(stage, dialect).items()
                if self.sources.get(name, name) not in file_columns - present}

    def differences(self, dialect: str) -> dict[str, Difference]:
        """How to tell a changed value per target column (default: IS DISTINCT FROM)."""
        return {}

    def more_differences(self, target: Table, stage: Table,
                         present: frozenset[str]) -> list[ColumnElement]:
        """Changes that ``target_values`` do not cover (a user's manager)."""
        return []

    def on_update(self) -> dict[str, object]:
        """Extra values set when a row changes (``updated_at``)."""
        return {}

    def in_file_checks(self, stage: Table) -> list[InFileCheck]:
        """References that may point at another row of the same file."""
        return []

    def after_merge(self, connection, stage: Table, present: frozenset[str]) -> None:
        """Writes that need every row merged first (a manager defined later in the file)."""
