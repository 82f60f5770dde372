"""The stored score rows of a run, as JSON text built column by column, and their bulk insert.

Serializing a dict per customer costs more than the SQL of the whole run, so the JSON of
``CustomerScore.axes``, ``metrics`` and ``sides`` is assembled from per-column texts: each
distinct value is formatted once (Python's shortest round-trip ``repr`` for doubles, as
``json.dumps`` writes them), then joined with numpy object arithmetic. The result parses to
exactly :meth:`RunResult.records` (a test holds them equal). Rows go in with ``executemany``
on SQLite and ``COPY`` on PostgreSQL.
"""
from __future__ import annotations

import json
from json.encoder import encode_basestring
from typing import Iterator

import numpy as np
from sqlalchemy import Connection, insert

from engine.models import CustomerScore

from .results import GROUP_KEY, RunResult
from .vectors import Vec

COLUMNS = ("run_id", "customer_id", "segment", "previous_segment", "effective_segment",
           "axes", "metrics", "sides")
BATCH_SIZE = 20_000


def _texts(values: np.ndarray, null: np.ndarray, format_one) -> np.ndarray:
    """``format_one`` of each distinct non-null value, 'null' elsewhere (an object array)."""
    present = ~null
    distinct, inverse = np.unique(values[present], return_inverse=True)
    table = np.empty(len(distinct) + 1, dtype=object)
    table[:-1] = list(map(format_one, distinct.tolist()))
    table[-1] = "null"
    codes = np.full(len(values), len(distinct), dtype=np.int64)
    codes[present] = inverse
    return table[codes]


def number_texts(values: np.ndarray, null: np.ndarray | None = None) -> np.ndarray:
    """Doubles as ``json.dumps`` writes them; JSON has no NaN or infinity, so an overflowed
    value is stored as null."""
    unusable = ~np.isfinite(values)
    return _texts(values, unusable if null is None else null | unusable, float.__repr__)


def json_texts(vec: Vec) -> np.ndarray:
    """The JSON text of every value of a vector (dates as ``"YYYY-MM-DD"``)."""
    if vec.kind == "number":
        return number_texts(vec.values, vec.null)
    if vec.kind == "boolean":
        return _texts(vec.values, vec.null, lambda flag: "true" if flag else "false")
    if vec.kind == "date":
        days = np.datetime_as_string(vec.values, unit="D")
        return _texts(days, vec.null, lambda day: f'"{day}"')
    return _texts(np.where(vec.null, "", vec.values), vec.null, encode_basestring)


class RowTemplate:
    """One JSON object per row from columns of JSON texts: a single ``%`` per row."""

    def __init__(self):
        self.parts: list[str] = []
        self.columns: list[np.ndarray] = []

    def add(self, text: str, column: np.ndarray | None = None) -> None:
        self.parts.append(text.replace("%", "%%") + ("%s" if column is not None else ""))
        if column is not None:
            self.columns.append(column.tolist())

    def rows(self) -> list[str]:
        template = "{" + "".join(self.parts) + "}"
        return list(map(template.__mod__, zip(*self.columns)))


def metrics_json(result: RunResult, part: slice) -> list[str]:
    weights = {item.metric: float(item.weight) for axis in result.ruleset.spec.axes
               for item in axis.items}
    rows = RowTemplate()
    for index, (metric_id, vec) in enumerate(result.metrics.items()):
        comma = "," if index else ""
        rows.add(f'{comma}{json.dumps(metric_id)}:{{"value":',
                 json_texts(vec.take(np.arange(len(vec))[part])))
        points = result.scores.points.get(metric_id)
        if points is not None:
            rows.add(',"points":', number_texts(points.points[part]))
            rows.add(f',"weight":{weights[metric_id]!r}')
        rows.add("}")
    return rows.rows()


def axes_json(result: RunResult, part: slice) -> list[str]:
    rows = RowTemplate()
    for index, (axis_id, scores) in enumerate(result.scores.axes.items()):
        rows.add(f'{"," if index else ""}{json.dumps(axis_id)}:', number_texts(scores[part]))
    return rows.rows()


def sides_json(result: RunResult, part: slice) -> list[str | None]:
    classification = result.classification
    if classification.sides is None:
        return [None] * len(result.population.ids[part])
    rows = RowTemplate()
    for index, (axis, high) in enumerate(classification.sides.items()):
        sides = np.where(high[part], '"high"', '"low"').astype(object)
        rows.add(f'{"," if index else ""}{json.dumps(axis)}:', sides)
    if classification.groups is not None:
        groups = classification.groups[part]
        rows.add(f",{json.dumps(GROUP_KEY)}:",
                 _texts(groups, np.zeros(len(groups), dtype=bool), encode_basestring))
    return rows.rows()


def score_rows(result: RunResult, run_id: int) -> Iterator[list[tuple]]:
    """Batches of rows in :data:`COLUMNS` order, JSON columns as text."""
    total = len(result.population)
    for start in range(0, total, BATCH_SIZE):
        part = slice(start, min(start + BATCH_SIZE, total))
        yield list(zip([run_id] * (part.stop - part.start),
                       result.population.ids[part].tolist(), result.segments[part].tolist(),
                       result.previous_segments[part].tolist(),
                       result.effective_segments[part].tolist(),
                       axes_json(result, part), metrics_json(result, part),
                       sides_json(result, part)))


def _copy_field(value) -> str:
    return "\\N" if value is None else str(value).replace("\\", "\\\\")


def _copy_line(row: tuple) -> str:
    """One row in COPY's text format (JSON text never holds a raw tab or newline)."""
    return "\t".join(map(_copy_field, row)) + "\n"


def insert_scores(connection: Connection, result: RunResult, run_id: int) -> None:
    """Write every score row of ``result`` under ``run_id`` in the connection's transaction."""
    dialect = connection.dialect.name
    for rows in score_rows(result, run_id):
        if dialect == "sqlite":
            marks = ", ".join("?" for _ in COLUMNS)
            connection.exec_driver_sql(
                f"INSERT INTO customer_scores ({', '.join(COLUMNS)}) VALUES ({marks})", rows)
        elif dialect == "postgresql":
            cursor = connection.connection.driver_connection.cursor()
            with cursor.copy(f"COPY customer_scores ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                copy.write("".join(map(_copy_line, rows)))
        else:
            connection.execute(insert(CustomerScore.__table__), [
                dict(zip(COLUMNS, row[:5] + tuple(None if t is None else json.loads(t)
                                                  for t in row[5:]))) for row in rows])
