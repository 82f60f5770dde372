"""The stored score rows of a run, as JSON text built column by column, and their bulk insert.

Serializing a dict per customer costs more than the SQL of the whole run, so the JSON of
``CustomerScore.axes``, ``metrics`` and ``sides`` is assembled from per-column texts: each
distinct value is formatted once (Python's shortest round-trip ``repr`` for doubles, as
``json.dumps`` writes them) together with the literal text before it, then each row's
object is one ``join`` of those texts. The result parses to exactly
:meth:`RunResult.records` (a test holds them equal).
Rows go in with ``executemany`` on SQLite and ``COPY`` on PostgreSQL (:mod:`.bulk_insert`).
"""
from __future__ import annotations

import json
from json.encoder import encode_basestring
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np
from .results import GROUP_KEY, RunResult
from .vectors import Vec

COLUMNS = ("run_id", "customer_id", "segment", "previous_segment", "effective_segment",
           "axes", "metrics", "sides")
BATCH_SIZE = 20_000


def _texts(values: np.ndarray, null: np.ndarray, format_one,
           around: tuple[str, str] = ("", "")) -> np.ndarray:
    """``format_one`` of each distinct non-null value, 'null' elsewhere (an object array),
    each between the texts ``around`` (joined once per distinct value, not per row)."""
    present = ~null
    before, after = around
    if values.dtype == object:
        # Text: a dict finds the distinct values without sorting Python objects.
        found = values[present].tolist()
        table_of = {value: before + format_one(value) + after
                    for value in dict.fromkeys(found)}
        texts = np.full(len(values), before + "null" + after, dtype=object)
        texts[present] = list(map(table_of.__getitem__, found))
        return texts
    distinct, inverse = np.unique(values[present], return_inverse=True)
    table = np.empty(len(distinct) + 1, dtype=object)
    table[:-1] = [before + text + after for text in map(format_one, distinct.tolist())]
    table[-1] = before + "null" + after
    codes = np.full(len(values), len(distinct), dtype=np.int64)
    codes[present] = inverse
    return table[codes]


def number_texts(values: np.ndarray, null: np.ndarray | None = None,
                 around: tuple[str, str] = ("", "")) -> np.ndarray:
    """Doubles as ``json.dumps`` writes them; JSON has no NaN or infinity, so an overflowed
    value is stored as null."""
    unusable = ~np.isfinite(values)
    return _texts(values, unusable if null is None else null | unusable, float.__repr__,
                  around)


def json_texts(vec: Vec, around: tuple[str, str] = ("", "")) -> np.ndarray:
    """The JSON text of every value of a vector (dates as ``"YYYY-MM-DD"``), each between
    the texts ``around``."""
    if vec.kind == "number":
        return number_texts(vec.values, vec.null, around)
    if vec.kind == "boolean":
        return _texts(vec.values, vec.null, lambda flag: "true" if flag else "false", around)
    if vec.kind == "date":
        days = np.datetime_as_string(vec.values, unit="D")
        return _texts(days, vec.null, lambda day: f'"{day}"', around)
    return _texts(np.where(vec.null, "", vec.values), vec.null, encode_basestring, around)


@dataclass(frozen=True)
class Column:
    """One value per customer that goes into a JSON object: a vector or a high/low side."""

    kind: str                  # number, text, date, boolean, or side (True is "high")
    values: np.ndarray
    null: np.ndarray

    @classmethod
    def of(cls, vec: Vec) -> "Column":
        null = vec.null | ~np.isfinite(vec.values) if vec.kind == "number" else vec.null
        return cls(vec.kind, vec.values, null)

    @classmethod
    def numbers(cls, values: np.ndarray) -> "Column":
        return cls.of(Vec.of("number", values))

    def json_texts(self, around: tuple[str, str] = ("", "")) -> np.ndarray:
        """Each value's JSON text between the texts ``around``."""
        if self.kind == "side":
            before, after = around
            return np.where(self.values, f'{before}"high"{after}',
                            f'{before}"low"{after}').astype(object)
        return json_texts(Vec(self.kind, self.values, self.null), around)

    def python(self) -> list:
        """Values for a binary COPY (None where null)."""
        if self.kind == "side":
            return self.values.tolist()
        return Vec(self.kind, self.values, self.null).to_python()


@dataclass
class JsonObject:
    """A JSON object per row as literal text pieces, each followed by a column's value."""

    pieces: list[tuple[str, Column | None]] = field(default_factory=list)

    def add(self, text: str, column: Column | None = None) -> None:
        self.pieces.append((text, column))

    def rows(self) -> list[str]:
        """The JSON text of every row: each column's texts carry the literal text before
        them (and the last one the closing brace), so a row is one ``join``."""
        placed, before = [], "{"
        for text, column in self.pieces:
            before += text
            if column is not None:
                placed.append([column, before, ""])
                before = ""
        placed[-1][2] = before + "}"
        parts = [column.json_texts((ahead, behind)).tolist() for column, ahead, behind in placed]
        return list(map("".join, zip(*parts)))


def _part(vec: Vec, part: slice) -> Vec:
    return Vec(vec.kind, vec.values[part], vec.null[part])


def metrics_object(result: RunResult, part: slice) -> JsonObject:
    weights = {item.metric: float(item.weight) for axis in result.ruleset.spec.axes
               for item in axis.items}
    found = JsonObject()
    for index, (metric_id, vec) in enumerate(result.metrics.items()):
        comma = "," if index else ""
        found.add(f'{comma}{json.dumps(metric_id)}:{{"value":', Column.of(_part(vec, part)))
        points = result.scores.points.get(metric_id)
        if points is not None:
            found.add(',"points":', Column.numbers(points.points[part]))
            found.add(f',"weight":{weights[metric_id]!r}')
        found.add("}")
    return found


def axes_object(result: RunResult, part: slice) -> JsonObject:
    found = JsonObject()
    for index, (axis_id, scores) in enumerate(result.scores.axes.items()):
        found.add(f'{"," if index else ""}{json.dumps(axis_id)}:', Column.numbers(scores[part]))
    return found


def sides_object(result: RunResult, part: slice) -> JsonObject | None:
    classification = result.classification
    if classification.sides is None:
        return None
    found = JsonObject()
    for index, (axis, high) in enumerate(classification.sides.items()):
        found.add(f'{"," if index else ""}{json.dumps(axis)}:',
                  Column("side", high[part], np.zeros(len(high[part]), dtype=bool)))
    if classification.groups is not None:
        groups = classification.groups[part]
        found.add(f",{json.dumps(GROUP_KEY)}:",
                  Column("text", groups, np.zeros(len(groups), dtype=bool)))
    return found


def objects(result: RunResult, part: slice) -> tuple[JsonObject, JsonObject, JsonObject | None]:
    """The axes, metrics and sides objects of the customers in ``part``."""
    return axes_object(result, part), metrics_object(result, part), sides_object(result, part)


def batches(result: RunResult) -> Iterator[slice]:
    total = len(result.population)
    for start in range(0, total, BATCH_SIZE):
        yield slice(start, min(start + BATCH_SIZE, total))


def score_rows(result: RunResult, run_id: int) -> Iterator[list[tuple]]:
    """Batches of rows in :data:`COLUMNS` order, JSON columns as text."""
    for part in batches(result):
        axes, metrics, sides = objects(result, part)
        size = part.stop - part.start
        yield list(zip([run_id] * size, result.population.ids[part].tolist(),
                       result.segments[part].tolist(), result.previous_segments[part].tolist(),
                       result.effective_segments[part].tolist(), axes.rows(), metrics.rows(),
                       sides.rows() if sides else [None] * size))
