"""The quadrant map: each customer's value × potential (the ruleset's x and y axes) in a run,
the split lines, and above a threshold a density grid binned in SQL.

Customers are those of ``customer_condition(viewer, filters)`` scored in ``filters.run``; the
segment is the effective one (an approved override counts).
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, and_, case, func, literal, select, true

from engine.definitions.published import build_spec
from engine.definitions.ruleset_specs import Quadrant
from engine.models import Customer, CustomerScore, DefinitionVersion, EvaluationRun
from engine.reports.filters import ReportFilter, customer_condition
from engine.reports.scores_sql import axis_score, floor_int, materialized
from engine.access import Viewer

DENSITY_THRESHOLD = 20_000
BINS = 20


@dataclass(frozen=True)
class QuadrantAxes:
    x: str
    y: str
    x_label: object
    y_label: object
    split_x: float | None        # None when split per group (split_within) or unknown
    split_y: float | None


def run_axes(connection: Connection, run_id: int) -> QuadrantAxes | None:
    """The x and y axes of the run's ruleset version and the split values it stored; None for
    a tiers ruleset."""
    row = connection.execute(
        select(DefinitionVersion.content, EvaluationRun.splits)
        .join(EvaluationRun, EvaluationRun.ruleset_version_id == DefinitionVersion.id)
        .where(EvaluationRun.id == run_id)).one_or_none()
    if row is None:
        return None
    spec = build_spec("ruleset", row.content)
    quadrant = spec.classification
    if not isinstance(quadrant, Quadrant):
        return None
    labels = {axis.id: dict(axis.label.by_locale) for axis in spec.axes}
    splits = row.splits or {}

    def split(axis: str) -> float | None:
        value = (splits.get(axis) or {}).get("value")
        return float(value) if isinstance(value, int | float) else None

    return QuadrantAxes(quadrant.x, quadrant.y, labels.get(quadrant.x, quadrant.x),
                        labels.get(quadrant.y, quadrant.y), split(quadrant.x),
                        split(quadrant.y))


def _scores(connection: Connection, viewer: Viewer, filters: ReportFilter, axes: QuadrantAxes):
    dialect = connection.dialect.name
    score = CustomerScore.__table__
    x = axis_score(dialect, score.c.axes, axes.x)
    y = axis_score(dialect, score.c.axes, axes.y)
    condition = and_(score.c.run_id == filters.run, customer_condition(viewer, filters),
                     x.is_not(None), y.is_not(None))
    return score, x, y, condition


def point_count(connection: Connection, viewer: Viewer, filters: ReportFilter,
                axes: QuadrantAxes) -> int:
    score, x, y, condition = _scores(connection, viewer, filters, axes)
    return connection.scalar(select(func.count()).select_from(
        score.join(Customer, Customer.id == score.c.customer_id)).where(condition))


def more_points_than(connection: Connection, viewer: Viewer, filters: ReportFilter,
                     axes: QuadrantAxes, limit: int) -> bool:
    """Are there more than ``limit`` points? Stops reading at ``limit`` + 1 (no sort, nothing
    fetched), so a large run is told from a small one cheaply."""
    score, x, y, condition = _scores(connection, viewer, filters, axes)
    first = (select(score.c.customer_id).select_from(
        score.join(Customer, Customer.id == score.c.customer_id)).where(condition)
        .limit(limit + 1).subquery())
    return connection.scalar(select(func.count()).select_from(first)) > limit


def points(connection: Connection, viewer: Viewer, filters: ReportFilter,
           axes: QuadrantAxes, limit: int = DENSITY_THRESHOLD) -> list[dict]:
    """The customers' points: code, name, x, y, effective segment (by code)."""
    score, x, y, condition = _scores(connection, viewer, filters, axes)
    rows = connection.execute(
        select(Customer.code, Customer.name, x.label("x"), y.label("y"),
               score.c.effective_segment.label("segment"))
        .select_from(score.join(Customer, Customer.id == score.c.customer_id))
        .where(condition).order_by(Customer.code).limit(limit)).mappings()
    return [dict(row) for row in rows]


def density(connection: Connection, viewer: Viewer, filters: ReportFilter,
            axes: QuadrantAxes, bins: int = BINS) -> dict:
    """A ``bins`` × ``bins`` grid over the score ranges, counted in SQL: edges of each axis,
    the non-empty cells as (ix, iy, count) and the customers counted. A cell holds lo ≤ score
    < hi (the last: ≤ hi).

    One statement: the scores read out of the JSON once (a materialized CTE), their ranges,
    and the cells binned over them."""
    score, x, y, condition = _scores(connection, viewer, filters, axes)
    source = score.join(Customer, Customer.id == score.c.customer_id)
    pts = materialized(select(x.label("x"), y.label("y")).select_from(source).where(condition),
                       "quadrant_points")
    bounds = (select(func.min(pts.c.x).label("low_x"), func.max(pts.c.x).label("high_x"),
                     func.min(pts.c.y).label("low_y"), func.max(pts.c.y).label("high_y"),
                     func.count().label("n"))
              .subquery("bounds"))
    dialect = connection.dialect.name
    smallest = func.min if dialect == "sqlite" else func.least

    def index(value, low, high):
        width = case((high - low == 0, literal(1.0)), else_=high - low)
        return smallest(floor_int(dialect, (value - low) * bins / width), bins - 1)

    ix = index(pts.c.x, bounds.c.low_x, bounds.c.high_x).label("ix")
    iy = index(pts.c.y, bounds.c.low_y, bounds.c.high_y).label("iy")
    rows = connection.execute(
        select(ix, iy, func.count().label("n"), func.min(bounds.c.low_x),
               func.min(bounds.c.high_x), func.min(bounds.c.low_y), func.min(bounds.c.high_y),
               func.min(bounds.c.n))
        .select_from(pts.join(bounds, true())).group_by(ix, iy).order_by(ix, iy)).all()
    if not rows:
        return {"x_edges": [], "y_edges": [], "cells": [], "count": 0}
    low_x, high_x, low_y, high_y, count = rows[0][3:]
    width_x = (high_x - low_x) or 1.0
    width_y = (high_y - low_y) or 1.0
    return {"x_edges": [low_x + width_x * i / bins for i in range(bins + 1)],
            "y_edges": [low_y + width_y * i / bins for i in range(bins + 1)],
            "cells": [(int(a), int(b), int(n)) for a, b, n, *_ in rows], "count": int(count)}
