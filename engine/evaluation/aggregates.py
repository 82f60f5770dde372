"""Aggregate metrics as SQL: one ``GROUP BY customer`` pass per fact table (SPEC §3.2, §3.5).

Every aggregate over one table becomes a column of a single query; metrics with different
windows or ``where`` filters share the scan through ``CASE WHEN`` conditions. Exact money
is summed as integer cents and only then becomes a double; an aggregate of a computed
(non-exact) number is rounded to 9 decimals. Over no rows ``sum``, ``count`` and
``count_distinct`` give 0 and ``avg``, ``min``, ``max`` give null.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
from sqlalchemy import BigInteger, ColumnElement, Connection, Date, Select, and_, case, func
from sqlalchemy import literal

from engine.definitions.ruleset_specs import AggregateMetric
from engine.expr import ExprType, check, compile_sql, names_in, parse
from engine.expr.nodes import Name
from engine.expr.sql_constructs import code_point, is_true
from engine.facts import FACT_COLUMNS, fact_env

from .fact_sql import FactSource
from .scope import fetch_rows
from .vector_expr import kind_of
from .vectors import Vec, round_half_away_array
from .windows import Window


@dataclass(frozen=True)
class AggregateColumn:
    """How one aggregate metric is computed in SQL and read back into a vector."""

    metric: AggregateMetric
    table: str
    window: Window
    of_type: ExprType | None          # None: ``count`` of rows
    exact: bool                       # exact decimal or a bare column: not rounded

    @property
    def scale(self) -> int:
        """Decimal places of the scaled integers SQL returns (0 unless money/quantity)."""
        return self.of_type.scale if self.of_type is not None else 0

    @property
    def kind(self) -> str:
        function = self.metric.function
        if function in ("count", "count_distinct", "sum", "avg") or self.of_type is None:
            return "number"
        return kind_of(self.of_type)


def table_of(metric: AggregateMetric) -> str:
    """The one fact table an aggregate reads (validation guarantees there is one)."""
    if metric.counts_rows:
        return metric.of.strip()
    for text in (metric.of, metric.where):
        if text:
            for name in sorted(_names(text)):
                table = name.partition(".")[0]
                if table in FACT_COLUMNS:
                    return table
    raise ValueError(f"aggregate metric {metric.id!r} names no fact column")


def _names(text: str) -> set[str]:
    return set(names_in(parse(text)))


def plan_column(metric: AggregateMetric, as_of: dt.date) -> AggregateColumn:
    """The plan of one aggregate metric as of a date."""
    table = table_of(metric)
    window = Window.of(as_of, metric.window_months, metric.offset_months)
    if metric.counts_rows:
        return AggregateColumn(metric, table, window, None, True)
    node = parse(metric.of)
    of_type = check(node, fact_env(table))
    exact = of_type.kind == "decimal" or isinstance(node, Name)
    return AggregateColumn(metric, table, window, of_type, exact)


class TableQuery:
    """The single GROUP BY query computing every aggregate over one fact table."""

    def __init__(self, table: str, columns: Sequence[AggregateColumn], as_of: dt.date):
        self.table, self.columns, self.as_of = table, list(columns), as_of
        self.source = FactSource(table, as_of)
        self.windows = sorted({c.window for c in self.columns})
        self.scanned = Window(min(w.start for w in self.windows),
                              max(w.end for w in self.windows))

    def select(self, scope: Select) -> Select:
        """The query; ``scope`` selects the ids of the customers in scope."""
        source, outputs = self.source, []
        for column in self.columns:
            outputs.extend(self._aggregates(column))
        return (source.select_from(source.customer_id, *outputs)
                .where(source.day >= literal(self.scanned.start, Date),
                       source.day < literal(self.scanned.end, Date),
                       source.customer_id.in_(scope))
                .group_by(source.customer_id))

    def window_bounds(self, window: Window) -> list[ColumnElement]:
        """The tests keeping a scanned row to ``window``: a bound the scanned range already
        enforces is left out (each test is evaluated once per row and aggregate)."""
        day, bounds = self.source.day, []
        if window.start > self.scanned.start:
            bounds.append(day >= literal(window.start, Date))
        if window.end < self.scanned.end:
            bounds.append(day < literal(window.end, Date))
        return bounds

    def _condition(self, column: AggregateColumn) -> ColumnElement | None:
        parts = self.window_bounds(column.window)
        if column.metric.where:
            where = compile_sql(parse(column.metric.where), fact_env(self.table),
                                self.source.column)
            parts.append(is_true(where))
        return and_(*parts) if parts else None

    def _aggregates(self, column: AggregateColumn) -> list[ColumnElement]:
        condition, function = self._condition(column), column.metric.function
        if column.of_type is None:
            value = literal(1)
        else:
            value = compile_sql(parse(column.metric.of), fact_env(self.table),
                                self.source.column)
        if condition is not None:
            value = case((condition, value))
        if function == "count":
            return [func.count(value)]
        if function == "count_distinct":
            return [func.count(value.distinct())]
        if function in ("sum", "avg"):
            total = func.coalesce(func.sum(value), 0)
            if column.exact:
                # PostgreSQL sums bigint as numeric; cents fit a bigint, and ints read faster.
                total = total.cast(BigInteger)
            return [total, func.count(value)] if function == "avg" else [total]
        if column.of_type.kind == "text":
            value = code_point(value)
        extreme = func.min(value) if function == "min" else func.max(value)
        return [extreme]

    def read(self, rows: list[Any], ids: np.ndarray) -> dict[str, Vec]:
        """Each metric's vector over the customers ``ids`` (sorted) from the query's rows."""
        size = len(ids)
        found = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
        positions = np.searchsorted(ids, found)
        result_columns = list(zip(*rows)) if rows else []
        vectors, at = {}, 1
        for column in self.columns:
            width = 2 if column.metric.function == "avg" else 1
            raw = [result_columns[at + k] if rows else () for k in range(width)]
            vectors[column.metric.id] = _vector(column, raw, positions, size)
            at += width
        return vectors


def _numbers(values: Sequence[Any]) -> np.ndarray:
    """Numbers (ints, floats, PostgreSQL Decimals) as doubles; None is NaN."""
    return np.array(values, dtype=np.float64) if len(values) else np.zeros(0)


def _vector(column: AggregateColumn, raw: list[Sequence[Any]], positions, size) -> Vec:
    function = column.metric.function
    if function in ("count", "count_distinct"):
        values = np.zeros(size, dtype=np.float64)
        values[positions] = _numbers(raw[0])
        return Vec.of("number", values)
    if function == "sum":
        values = np.zeros(size, dtype=np.float64)
        values[positions] = _numbers(raw[0]) / 10.0**column.scale
        return Vec.of("number", _rounded_unless_exact(column, values))
    if function == "avg":
        totals, counts = np.zeros(size), np.zeros(size)
        totals[positions], counts[positions] = _numbers(raw[0]), _numbers(raw[1])
        with np.errstate(all="ignore"):
            values = totals / (counts * 10.0**column.scale)
        return Vec.of("number", _rounded_unless_exact(column, values), counts == 0)
    kind = column.kind
    vector = Vec.nulls(kind, size)
    if kind == "number":
        present = _numbers(raw[0]) / 10.0**column.scale
        vector.values[positions] = _rounded_unless_exact(column, present)
    elif kind == "date":
        present = np.array([v if v is not None else "NaT" for v in raw[0]],
                           dtype="datetime64[D]")
        vector.values[positions] = present
    else:
        vector.values[positions] = np.array(raw[0], dtype=object)
    return Vec.of(kind, vector.values)


def _rounded_unless_exact(column: AggregateColumn, values: np.ndarray) -> np.ndarray:
    return values if column.exact else round_half_away_array(values)


def table_queries(metrics: Sequence[AggregateMetric], as_of: dt.date,
                  split_windows: bool = False) -> list[TableQuery]:
    """One query per fact table that some metric aggregates, in table order.

    With ``split_windows``, a table's metrics whose windows share no day go in separate
    queries (one per run of overlapping windows): each row is still read once, and is
    aggregated only by the metrics of its window, without a window test. That suits SQLite,
    whose cost is per row and aggregate; PostgreSQL's is mostly per row read.
    """
    by_table: dict[str, list[AggregateColumn]] = {}
    for metric in metrics:
        column = plan_column(metric, as_of)
        by_table.setdefault(column.table, []).append(column)
    queries = []
    for table in (t for t in FACT_COLUMNS if t in by_table):
        groups = _overlapping(by_table[table]) if split_windows else [by_table[table]]
        queries += [TableQuery(table, columns, as_of) for columns in groups]
    return queries


def _overlapping(columns: list[AggregateColumn]) -> list[list[AggregateColumn]]:
    """The columns in groups whose windows overlap, in window order; each group keeps the
    columns' order."""
    spans: list[list] = []           # [start, end, windows]
    for window in sorted({c.window for c in columns}):
        if spans and window.start < spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], window.end)
            spans[-1][2].add(window)
        else:
            spans.append([window.start, window.end, {window}])
    return [[c for c in columns if c.window in windows] for _, _, windows in spans]


def run_table(connection: Connection, query: TableQuery, scope: Select,
              ids: np.ndarray) -> dict[str, Vec]:
    """Run one table's query and read every metric it computes."""
    rows = fetch_rows(connection, query.select(scope))
    return query.read(rows, ids)
