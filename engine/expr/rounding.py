"""Rounding half away from zero, identically in Python and in SQL.

``round_half_away(x, n) = sign(x) · R(|x| · 10ⁿ) / 10ⁿ`` in IEEE doubles, where
``R(y) = floor(y) + (1 if y − floor(y) ≥ 0.5 else 0)``; ``y − floor(y)`` is exact, so no step
depends on how a platform rounds halves (neither Python's ``round()`` nor SQLite's is used).
"""
from __future__ import annotations

import math

from sqlalchemy import ColumnElement, Float, case, cast, func, literal

from .sql_constructs import FIRST_INTEGRAL_DOUBLE, floor_of

MAX_DIGITS = 22  # 10.0**n is exact up to here


def round_half_away(x: float | int | None, digits: int) -> float | None:
    """``x`` rounded to ``digits`` decimals, halves away from zero; None stays None."""
    if x is None:
        return None
    scale = _scale(digits)
    magnitude = abs(float(x)) * scale
    rounded = magnitude  # from 2**52 up (infinity too) a double is already integral
    if magnitude < FIRST_INTEGRAL_DOUBLE:
        floor = float(math.floor(magnitude))
        rounded = floor + (1.0 if magnitude - floor >= 0.5 else 0.0)
    return (-1.0 if x < 0 else 1.0) * rounded / scale


def round_half_away_sql(x: ColumnElement, digits: int) -> ColumnElement[float]:
    """The SQL twin of :func:`round_half_away` for a numeric expression ``x``.

    ``x`` is repeated in the SQL text: 4 times on PostgreSQL, 8 on SQLite.
    """
    return round_double_sql(cast(x, Float), digits)


def round_double_sql(value: ColumnElement[float], digits: int) -> ColumnElement[float]:
    """:func:`round_half_away_sql` for a ``value`` known to be a double already."""
    scale = literal(_scale(digits), Float)
    magnitude = func.abs(value, type_=Float) * scale
    floor = floor_of(magnitude)
    half_up = case((magnitude - floor >= _double(0.5), _double(1.0)), else_=_double(0.0))
    sign = case((value < _double(0.0), _double(-1.0)), else_=_double(1.0))
    return sign * (floor + half_up) / scale


def _double(value: float) -> ColumnElement[float]:
    return literal(value, Float)


def _scale(digits: int) -> float:
    if type(digits) is not int or not 0 <= digits <= MAX_DIGITS:
        raise ValueError(f"digits must be an integer from 0 to {MAX_DIGITS}, got {digits!r}")
    return 10.0**digits
