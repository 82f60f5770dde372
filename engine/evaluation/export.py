"""``scores export``: one row per customer of a stored run (SPEC §3.5 Export).

Columns: ``customer_code``, ``segment``, ``effective_segment``, the axes in definition
order, then every metric in definition order, each scored one followed by
``<metric>_points``. Rows are sorted by customer code (code points); null is an empty cell,
booleans ``true``/``false``, dates ``YYYY-MM-DD``, numbers in shortest round-trip form; in CSV
a text cell a spreadsheet would run as a formula starts with ``'`` (:mod:`engine.spreadsheet`).

Rows are streamed: read from the database in batches (a server-side cursor on PostgreSQL), each
row's exported values as one JSON array, each batch written before the next is read (CSV cells
by :mod:`.export_cells`).
"""
from __future__ import annotations

import csv
import datetime as dt
import json
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, Iterable, Iterator, TextIO

from sqlalchemy import JSON, Connection, Engine, Text, cast, column, func, select, true
from sqlalchemy.orm import Session

from engine.definitions.ruleset_specs import RulesetSpec, build_ruleset
from engine.models import Customer, CustomerScore, DefinitionVersion
from engine.spreadsheet import cell

from .export_cells import collector_off, csv_rows, csv_text, number_text
from .stored import find_run

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
    # Inside stream_scores, the same stream unparsed: batches of (code, segment, effective
    # segment, JSON array of the values as stored), which write_csv formats a batch at a time.
    # Iterate one of ``rows`` and ``batches``, not both.
    batches: Iterable[list[tuple]] | None = None


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
        batches = _stored_batches(session.connection(), run.id, spec)
        yield ScoreTable(run.id, run.ruleset_id, run.as_of, export_columns(spec),
                         _stored_rows(batches), batches)


def export_scores(engine: Engine, ruleset_id: str | None = None,
                  run_id: int | None = None) -> ScoreTable:
    """The whole table of a run in memory (for small runs and tests)."""
    with stream_scores(engine, ruleset_id, run_id) as table:
        return replace(table, rows=list(table.rows), batches=None)


def _stored_rows(batches: Iterable[list[tuple]]) -> Iterator[list]:
    """Each row's values parsed (one ``json.loads`` per batch, not one per row)."""
    for batch in batches:
        values = json.loads("[" + ",".join(row[3] for row in batch) + "]")
        for (code_value, segment, effective, _), row_values in zip(batch, values):
            yield [code_value, segment, effective, *row_values]


def _stored_batches(connection: Connection, run_id: int, spec: RulesetSpec
                    ) -> Iterator[list[tuple]]:
    """Batches of ``(code, segment, effective segment, values)`` by customer code (code
    points), ``values`` a JSON array of the exported values with their stored text."""
    scores, customers = CustomerScore.__table__, Customer.__table__
    code = customers.c.code
    dialect = connection.dialect.name
    if dialect == "postgresql":
        code = code.collate("C")       # code point order, as SQLite's binary collation
    records = _records(spec) if dialect == "postgresql" else ()
    query = (select(customers.c.code, scores.c.segment, scores.c.effective_segment,
                    _values_sql(dialect, spec, records))
             .join(customers, customers.c.id == scores.c.customer_id))
    for record in records:
        query = query.join(record, true())
    query = query.where(scores.c.run_id == run_id).order_by(code)
    result = connection.execution_options(yield_per=BATCH_ROWS).execute(query)
    for batch in result.partitions():
        yield batch


def _value_paths(spec: RulesetSpec) -> list[tuple[int, str, str | None]]:
    """(document, key, sub-key) of each exported value: 0 is ``axes``, 1 ``metrics``."""
    scored = {item.metric for axis in spec.axes for item in axis.items}
    paths = [(0, axis.id, None) for axis in spec.axes]
    for metric in spec.metrics:
        paths.append((1, metric.id, "value"))
        if metric.id in scored:
            paths.append((1, metric.id, "points"))
    return paths


def _values_sql(dialect: str, spec: RulesetSpec, records=None):
    """SQL giving, per score row, a JSON array of the axis scores, metric values and points
    in export column order (null where absent), each value with its stored text. SQLite: one
    multi-path ``json_extract`` (an axis has at least one scored metric, so there are always
    three paths or more). PostgreSQL: ``json_build_array`` over the columns of ``records``,
    the two documents each parsed once by ``json_to_record`` (:func:`_records`; an operator
    on a ``json`` document re-parses it every time it is used)."""
    paths = _value_paths(spec)
    if dialect == "postgresql":
        values = [records[doc].c[key] if sub is None else records[doc].c[key].op("->")(sub)
                  for doc, key, sub in paths]
        return cast(func.json_build_array(*values), Text)
    scores = CustomerScore.__table__.c
    both = "[" + cast(scores.axes, Text) + "," + cast(scores.metrics, Text) + "]"
    return func.json_extract(both, *[f'$[{doc}]."{key}"' + (f'."{sub}"' if sub else "")
                                     for doc, key, sub in paths], type_=Text)


def _records(spec: RulesetSpec) -> tuple:
    """The axes and metrics documents as lateral records, one ``json`` column per axis or
    metric (PostgreSQL)."""
    scores = CustomerScore.__table__.c
    return tuple(func.json_to_record(document)
                 .table_valued(*(column(key, JSON) for key in keys))
                 .render_derived(name=name, with_types=True).lateral()
                 for name, document, keys in (
                     ("export_axes", scores.axes, [a.id for a in spec.axes]),
                     ("export_metrics", scores.metrics, [m.id for m in spec.metrics])))


def cell_text(value: Any) -> str:
    """One CSV cell: '' for null, text neutralised for spreadsheets, otherwise the value's
    export text."""
    return cell(value, number_text)


def write_csv(table: ScoreTable, stream: TextIO) -> int:
    """RFC 4180 CSV (CRLF line ends) with a header row, rows written as they come; the
    number of rows. Streamed batches are written as one text each when none of their cells
    needs quoting (:func:`.export_cells.csv_text`)."""
    writer = csv.writer(stream)
    writer.writerow(table.columns)
    if table.batches is None:
        count = 0
        for count, row in enumerate(table.rows, 1):
            writer.writerow([cell_text(value) for value in row])
        return count
    width, count = len(table.columns) - 3, 0
    with collector_off():
        for batch in table.batches:
            text = csv_text(batch, width)
            if text is None:
                writer.writerows(csv_rows(batch, width))
            else:
                stream.write(text)
            count += len(batch)
    return count


def _json_value(value: Any) -> str:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return number_text(value) if isinstance(value, int | float) else str(value)


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
