"""``import_file``: one data file into one kind's table, all or nothing.

Everything happens in one transaction on one connection:

1. Stream the file row by row: parse and check each cell, resolve references, and stage the
   parsed rows in batches into a temporary table (memory stays flat in the file's size).
   While the next batch is parsed, a helper thread counts the staged batch's added/changed
   rows and merges it into the kind's table (``INSERT … SELECT … ON CONFLICT (id) DO UPDATE
   … WHERE changed``); the database works while Python parses.
2. Check across rows in SQL: repeated ids, references to other rows of the same file.
3. Any problem: roll everything back and raise ``ImportRejected`` listing the first 100. A dry
   run rolls back too, after counting; a real one records an audit entry and commits.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from engine import audit, locks
from engine.db import WRITE_OPTION
from engine.forms import CellError
from engine.imports.headers import HeaderNames
from engine.imports.kinds import Kind, RowStager, get_kind
from engine.imports.mapping import ColumnMapping, read_mapping
from engine.imports.problems import ProblemLog, expected_found
from engine.imports.reading import (HEADER_ROW, ReadError, RefusedCell, RefusedRow, Table,
                                    open_table)
from engine.imports.staging import BatchWriter, Stage
from engine.statistics import refresh_statistics
from engine.text import counted

BATCH_ROWS = 10_000


@dataclass(frozen=True)
class ImportReport:
    """What an import did (or, for a dry run, would do)."""

    kind: str
    rows: int
    added: int
    changed: int
    unchanged: int
    dry_run: bool = False
    # The encoding a CSV file was read in, when it was detected rather than given.
    encoding: str | None = field(default=None, compare=False)
    # How headers that could name two things were read (``HeaderNames.find``).
    notes: tuple[str, ...] = field(default=(), compare=False)

    def summary(self) -> str:
        note = " (dry run: nothing imported)" if self.dry_run else ""
        return (f"{counted(self.rows, 'row')} read, {self.added:,} added, "
                f"{self.changed:,} changed, {self.unchanged:,} unchanged{note}")


def import_file(engine: Engine, kind: str, path, *, dry_run: bool = False,
                encoding: str | None = None, actor: str | None = None,
                columns=None) -> ImportReport:
    """Import the CSV or XLSX file at ``path`` as ``kind`` (users, products, customers,
    orders, payments, visits); raise ``InvalidInput`` (``ImportRejected``) and change nothing
    if any row is invalid. ``columns``: the path of a ``--columns`` mapping file (column →
    the header that holds it), refused whole if it cannot be used."""
    spec = get_kind(kind)
    path = Path(path)
    mapping = read_mapping(Path(columns)) if columns is not None else None
    log = ProblemLog(path.name, spec.column_names)
    with engine.connect() as connection:
        if not dry_run:
            connection.execution_options(**{WRITE_OPTION: True})
        stage = Stage(connection, spec)
        try:
            with connection.begin() as transaction:
                if not dry_run:
                    # First in the transaction: imports queue here rather than deadlock on
                    # rows they both touch in different orders.
                    locks.hold(connection, "import")
                stage.create()
                with BatchWriter(stage, log, merge=not dry_run) as writer:
                    detected, notes = _stage_file(connection, spec, path, encoding, mapping,
                                                  writer, log)
                stage.finish_loading()
                stage.check(log)
                if log:
                    raise log.rejection()
                report = ImportReport(spec.name, writer.rows, writer.added, writer.changed,
                                      writer.rows - writer.added - writer.changed, dry_run,
                                      detected, notes)
                if dry_run:
                    transaction.rollback()
                    return report
                stage.finish_merging()
                if report.added or report.changed:
                    # The evaluation's aggregates are planned from these statistics.
                    refresh_statistics(connection, [spec.table.name])
                _audit(connection, report, path, actor)
            return report
        finally:
            if not connection.closed and not connection.invalidated:
                with connection.begin():
                    stage.drop()


def _audit(connection, report: ImportReport, path: Path, actor: str | None) -> None:
    with Session(bind=connection) as session:
        audit.record(session, actor, "data.import", report.kind, path.name,
                     {"file": path.name, "rows": report.rows, "added": report.added,
                      "changed": report.changed, "unchanged": report.unchanged})
        session.flush()


def _stage_file(connection, spec: Kind, path: Path, encoding: str | None,
                mapping: ColumnMapping | None, writer: BatchWriter,
                log: ProblemLog) -> tuple[str | None, tuple[str, ...]]:
    """Read, parse and stage every row; problems go to ``log``. Return the CSV encoding
    detected (``None`` if it was given, or for XLSX) and the notes on the header."""
    try:
        with open_table(path, encoding) as table:
            stager = spec.begin(connection)
            extra_names = spec.extra_columns(stager)
            if mapping is not None:
                mapping.check_columns(spec.name, spec.column_names, extra_names)
            names = HeaderNames(spec, extra_names, spec.extra_labels(stager), mapping)
            layout = Layout(spec, names, table.header, log)
            writer.stage.present = frozenset(layout.positions)
            _stage_rows(table, layout, stager, writer, log)
            return (table.encoding if encoding is None else None), tuple(layout.notes)
    except ReadError as exc:
        log.add(exc.row, None, expected_found(exc.expected, exc.found))
        return None, ()


class Layout:
    """Where each expected column is in the file, checked against the header row."""

    def __init__(self, spec: Kind, names: HeaderNames, header: list, log: ProblemLog):
        self.width = len(header)
        self.positions: dict[str, int] = {}
        self.unnamed: list[int] = []
        self.notes: list[str] = []
        for index, name in enumerate(header):
            if name is None:
                self.unnamed.append(index)
            elif type(name) is RefusedCell:
                log.add(HEADER_ROW, f"column {index + 1}",
                        expected_found(name.expected, name.found))
            else:
                self._place(names, header, index, log)
        log.shown.update({target: f"{header[i]} ({target})"
                          for target, i in self.positions.items() if header[i] != target})
        self.columns = [(c.name, self.positions.get(c.name), c.parse, c.required)
                        for c in spec.columns]
        for name, index, _, required in self.columns:
            if required and index is None:
                log.add(HEADER_ROW, name, _missing(name, names))
        self.extra = [(n, i) for n, i in self.positions.items() if n in names.field_keys]

    def _place(self, names: HeaderNames, header: list, index: int, log: ProblemLog) -> None:
        name = header[index]
        found = names.find(name)
        if found is None:
            log.add(HEADER_ROW, name, names.unknown(name))
        elif found.ambiguous:
            log.add(HEADER_ROW, name, found.ambiguous)
        elif found.target in self.positions:
            first = self.positions[found.target]
            if header[first] == name:
                log.add(HEADER_ROW, name, f"expected each column once, got {name!r} again "
                                          f"in column {index + 1}")
            else:
                log.add(HEADER_ROW, found.target,
                        f"expected one column for {found.target}, got {header[first]!r} "
                        f"(column {first + 1}) and {name!r} (column {index + 1})")
        else:
            self.positions[found.target] = index
            if found.note:
                self.notes.append(found.note)


def _missing(column: str, names: HeaderNames) -> str:
    mapped = names.mapped(column)
    where = f" ({mapped!r}, as {names.mapping_file} maps it)" if mapped else ""
    return f"expected a column {column!r}{where} in the header row, got none"


def _stage_rows(table: Table, layout: Layout, stager: RowStager, writer: BatchWriter,
                log: ProblemLog) -> None:
    """Parse every row and stage it in batches. This loop runs for millions of rows, so the
    per-row work is kept to one pass over the columns the file has."""
    present = [(n, i, parse, required) for n, i, parse, required in layout.columns
               if i is not None]
    absent = {n: None for n, i, _, _ in layout.columns if i is None}
    extra, width, unnamed = layout.extra, layout.width, bool(layout.unnamed)
    batch: list[tuple] = []
    for number, cells in table.rows:
        if not any(cells):
            continue
        if type(cells) is RefusedRow:
            _refused_cells(number, cells, layout, log)
        if len(cells) != width:
            if len(cells) > width:
                _stray_cells(number, cells, layout, log)
            cells = (cells + [None] * width)[:width]
        elif unnamed:
            _stray_cells(number, cells, layout, log)
        values = dict(absent)
        for name, index, parse, required in present:
            cell = cells[index]
            if cell is None:
                if required:
                    log.add(number, name, "expected a value, got an empty cell")
                values[name] = None
                continue
            try:
                values[name] = parse(cell)
            except CellError as exc:
                log.cell(number, name, exc.expected, cell, getattr(exc, "note", ""))
                values[name] = None
        row_extra = {name: cells[index] for name, index in extra}
        batch.append(stager.stage(number, values, row_extra, log))
        if len(batch) >= BATCH_ROWS:
            writer.write(batch)
            batch = []
    if batch:
        writer.write(batch)


def _refused_cells(number: int, cells: list, layout: Layout, log: ProblemLog) -> None:
    """Report each cell the reader refused, and empty it."""
    names = {i: n for n, i in layout.positions.items()}
    for index, cell in enumerate(cells):
        if type(cell) is RefusedCell:
            log.refuse(number, names.get(index, f"column {index + 1}"),
                       expected_found(cell.expected, cell.found))
            cells[index] = None


def _stray_cells(number: int, cells: list, layout: Layout, log: ProblemLog) -> None:
    """A value beyond the header's last column, or under a column without a name."""
    for index in [*layout.unnamed, *range(layout.width, len(cells))]:
        if index < len(cells) and cells[index] is not None:
            log.cell(number, f"column {index + 1}", "an empty cell (the column has no name in "
                                                    "the header row)", cells[index])
