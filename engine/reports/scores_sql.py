"""Reading a stored run's scores in SQL: an axis score out of ``customer_scores.axes`` (a JSON
object axis id → number) as a float, on SQLite and PostgreSQL; and a CTE computed once."""
from __future__ import annotations

from sqlalchemy import Float, Integer, cast, func, literal, type_coerce
from sqlalchemy.types import NullType


def axis_score(dialect: str, axes_column, axis_id: str):
    """The score of ``axis_id`` in the JSON ``axes_column`` (null when absent)."""
    if dialect == "postgresql":
        return cast(type_coerce(axes_column, NullType).op("->>")(literal(axis_id)), Float)
    return type_coerce(func.json_extract(axes_column, f'$."{axis_id}"'), Float)


def floor_int(dialect: str, expression):
    """``floor`` of a non-negative number as an integer (SQLite's cast truncates)."""
    if dialect == "postgresql":
        return cast(func.floor(expression), Integer)
    return cast(expression, Integer)


def materialized(query, name: str):
    """``query`` as a CTE computed once per statement however often it is read (PostgreSQL
    ≥ 12 and SQLite ≥ 3.35 both read ``AS MATERIALIZED``)."""
    return query.cte(name).prefix_with("MATERIALIZED")
