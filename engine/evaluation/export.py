"""``scores export``: one row per customer of a stored run (SPEC §3.5 Export).

Columns: ``customer_code``, ``segment``, ``effective_segment``, the axes in definition
order, then every metric in definition order, each scored one followed by
``<metric>_points``. Rows are sorted by customer code (code points); null is an empty cell,
booleans ``true``/``false``, dates ``YYYY-MM-DD``, numbers in shortest round-trip form; in CSV
a text cell a spreadsheet would run as a formula starts with ``'`` (:mod:`engine.spreadsheet`).

Rows are streamed: read from the database in batches (a server-side cursor on PostgreSQL), each
row's JSON parsed once and written before the next is read.
"""
from __future__ import annotations

import csv
import datetime as dt
import json
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, Iterable, Iterator, TextIO

from sqlalchemy import Connection, Engine, Text, cast, func, select
from sqlalchemy.orm import Session

from engine.definitions.ruleset_specs import RulesetSpec, build_ruleset
from engine.models import Customer, CustomerScore, DefinitionVersion
from engine.spreadsheet import FORMULA_STARTS, QUOTE, cell

from .stored import find_run
from .vectors import number_text, value_text

BATCH_ROWS = 5_000


@dataclass(frozen=True)
class ScoreTable:
    """The exported rows of one run, values as stored (numbers, text, booleans, None):
    a list from :func:`export_scores`, a one-pass stream inside :func:`stream_scores`."""

    run_id: int
    ruleset_id: str
    as_of: dt.date
    columns: list[str]
    rows: Iterable[list[Any]]


def export_columns(spec: RulesetSpec) -> list[str]:
    scored = {item.metric for axis in spec.axes for item in axis.items}
    columns = ["customer_code", "segment", "effective_segment", *(a.id for a in spec.axes)]
    for metric in spec.metrics:
        columns.append(metric.id)
        if metric.id in scored:
            columns.append(f"{metric.id}_points")
    return columns


@contextmanager
def stream_scores(engine: Engine, ruleset_id: str | None = None,
                  run_id: int | None = None) -> Iterator[ScoreTable]:
    """The table of run ``run_id``, or of the latest completed run of ``ruleset_id``, whose
    rows are read from the database as they are iterated (inside the ``with`` only)."""
    with Session(engine) as session:
        run = find_run(session, ruleset_id, run_id)
        spec = build_ruleset(session.get(DefinitionVersion, run.ruleset_version_id).content)
        rows = _stored_rows(session.connection(), run.id, spec)
        yield ScoreTable(run.id, run.ruleset_id, run.as_of, export_columns(spec), rows)


def export_scores(engine: Engine, ruleset_id: str | None = None,
                  run_id: int | None = None) -> ScoreTable:
    """The whole table of a run in memory (for small runs and tests)."""
    with stream_scores(engine, ruleset_id, run_id) as table:
        return replace(table, rows=list(table.rows))


def _stored_rows(connection: Connection, run_id: int, spec: RulesetSpec) -> Iterator[list]:
    scores, customers = CustomerScore.__table__, Customer.__table__
    code = customers.c.code
    if connection.dialect.name == "postgresql":
        code = code.collate("C")       # code point order, as SQLite's binary collation
    query = (select(customers.c.code, scores.c.segment, scores.c.effective_segment,
                    _values_sql(connection.dialect.name, spec))
             .join(customers, customers.c.id == scores.c.customer_id)
             .where(scores.c.run_id == run_id).order_by(code))
    paths = _value_paths(spec) if connection.dialect.name == "postgresql" else None
    result = connection.execution_options(yield_per=BATCH_ROWS).execute(query)
    for batch in result.partitions():
        # One json.loads per batch instead of one per row.
        values = json.loads("[" + ",".join(row[3] for row in batch) + "]")
        for (code_value, segment, effective, _), row_values in zip(batch, values):
            if paths is not None:
                row_values = _picked(row_values, paths)
            yield [code_value, segment, effective, *row_values]


def _picked(documents: list, paths) -> list:
    """The values at ``paths`` of ``[axes, metrics]`` (None where absent)."""
    return [documents[doc].get(key) if sub is None
            else (documents[doc].get(key) or {}).get(sub) for doc, key, sub in paths]


def _value_paths(spec: RulesetSpec) -> list[tuple[int, str, str | None]]:
    """(document, key, sub-key) of each exported value: 0 is ``axes``, 1 ``metrics``."""
    scored = {item.metric for axis in spec.axes for item in axis.items}
    paths = [(0, axis.id, None) for axis in spec.axes]
    for metric in spec.metrics:
        paths.append((1, metric.id, "value"))
        if metric.id in scored:
            paths.append((1, metric.id, "points"))
    return paths


def _values_sql(dialect: str, spec: RulesetSpec):
    """SQL giving, per score row, the JSON text Python parses: on SQLite an array of the
    axis scores, metric values and points in export column order (null where absent),
    picked out by one multi-path ``json_extract`` (an axis has at least one scored metric,
    so there are always three paths or more); on PostgreSQL ``[axes, metrics]``, picked in
    Python (a ``json`` operator re-parses or re-casts its document every time it is used)."""
    scores = CustomerScore.__table__.c
    both = "[" + cast(scores.axes, Text) + "," + cast(scores.metrics, Text) + "]"
    if dialect == "postgresql":
        return both
    return func.json_extract(both, *[f'$[{doc}]."{key}"' + (f'."{sub}"' if sub else "")
                                     for doc, key, sub in _value_paths(spec)], type_=Text)


def cell_text(value: Any) -> str:
    """One CSV cell: '' for null, text neutralised for spreadsheets, otherwise the value's
    export text."""
    return cell(value, number_text)


def write_csv(table: ScoreTable, stream: TextIO) -> int:
    """RFC 4180 CSV (CRLF line ends) with a header row, rows written as they come; the
    number of rows."""
    writer = csv.writer(stream)
    writer.writerow(table.columns)
    count = 0
    for count, row in enumerate(table.rows, 1):
        writer.writerow(_csv_cells(row))
    return count


def _csv_cells(row: list) -> list[str]:
    """:func:`cell_text` of each value, the common cases inlined (this runs for every cell
    of the export): doubles as :func:`number_text`, text neutralised, null empty."""
    cells = []
    for value in row:
        kind = value.__class__
        if kind is float:
            text = "0" if value == 0 else float.__repr__(value)
            if text.endswith(".0"):
                text = text[:-2]
        elif kind is str:
            text = QUOTE + value if value.startswith(FORMULA_STARTS) else value
        elif value is None:
            text = ""
        else:
            text = cell(value, number_text)
        cells.append(text)
    return cells


def _json_value(value: Any) -> str:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return value_text(value)


def write_json(table: ScoreTable, stream: TextIO) -> int:
    """A JSON array of one object per row, keys in column order, one row per line; the
    number of rows."""
    stream.write("[")
    keys = [json.dumps(column, ensure_ascii=False) + ": " for column in table.columns]
    count = 0
    for count, row in enumerate(table.rows, 1):
        fields = ", ".join(key + _json_value(value) for key, value in zip(keys, row))
        stream.write(("," if count > 1 else "") + "\n  {" + fields + "}")
    stream.write("\n]\n" if count else "]\n")
    return count
