"""SQL functions whose spelling differs between SQLite and PostgreSQL, via ``@compiles``.

The default compilation (used by ``str()``) follows PostgreSQL.
"""
from __future__ import annotations

from sqlalchemy import Boolean, Float, Integer, Text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import GenericFunction

# Every double at or above 2**52 is an integer, so it is its own floor.
FIRST_INTEGRAL_DOUBLE = 2.0**52


class code_point(GenericFunction):
    """Text that orders by code point: ``COLLATE "C"`` on PostgreSQL, as is on SQLite."""

    _register = False
    inherit_cache = True
    type = Text()


class month_of(GenericFunction):
    """A date's month as ``'YYYY-MM'`` text."""

    _register = False
    inherit_cache = True
    type = Text()


class year_of(GenericFunction):
    """A date's year as an integer."""

    _register = False
    inherit_cache = True
    type = Integer()


class days_between(GenericFunction):
    """``days_between(a, b)``: b − a in whole days, an integer."""

    _register = False
    inherit_cache = True
    type = Integer()


class floor_of(GenericFunction):
    """The floor of a non-negative double."""

    _register = False
    inherit_cache = True
    type = Float()


class grouped(GenericFunction):
    """An expression in parentheses that SQLAlchemy keeps: it drops them around the right
    operand of + and *, and doubles are not associative."""

    _register = False
    inherit_cache = True


class is_true(GenericFunction):
    """A condition that is true, or false when it is false or NULL (never NULL)."""

    _register = False
    inherit_cache = True
    type = Boolean()


class least_strict(GenericFunction):
    """The smallest argument, or NULL when any argument is NULL."""

    _register = False
    inherit_cache = True


class greatest_strict(GenericFunction):
    """The largest argument, or NULL when any argument is NULL."""

    _register = False
    inherit_cache = True


def _args(element, compiler, **kw) -> list[str]:
    return [compiler.process(arg, **kw) for arg in element.clauses.clauses]


@compiles(code_point)
def _code_point_default(element, compiler, **kw):
    return _args(element, compiler, **kw)[0]


@compiles(code_point, "postgresql")
def _code_point_pg(element, compiler, **kw):
    return f'({_args(element, compiler, **kw)[0]}) COLLATE "C"'


@compiles(grouped)
def _grouped(element, compiler, **kw):
    return f"({_args(element, compiler, **kw)[0]})"


@compiles(is_true)
def _is_true(element, compiler, **kw):
    # IS TRUE nests less than COALESCE(x, false), which matters to SQLite's parser stack.
    return f"(({_args(element, compiler, **kw)[0]}) IS TRUE)"


@compiles(month_of)
def _month_default(element, compiler, **kw):
    return f"to_char({_args(element, compiler, **kw)[0]}, 'YYYY-MM')"


@compiles(month_of, "sqlite")
def _month_sqlite(element, compiler, **kw):
    return f"substr({_args(element, compiler, **kw)[0]}, 1, 7)"


@compiles(year_of)
def _year_default(element, compiler, **kw):
    return f"CAST(EXTRACT(YEAR FROM {_args(element, compiler, **kw)[0]}) AS INTEGER)"


@compiles(year_of, "sqlite")
def _year_sqlite(element, compiler, **kw):
    return f"CAST(substr({_args(element, compiler, **kw)[0]}, 1, 4) AS INTEGER)"


@compiles(days_between)
def _days_default(element, compiler, **kw):
    start, end = _args(element, compiler, **kw)
    return f"(({end}) - ({start}))"


@compiles(days_between, "sqlite")
def _days_sqlite(element, compiler, **kw):
    start, end = _args(element, compiler, **kw)
    return f"CAST(julianday({end}) - julianday({start}) AS INTEGER)"


@compiles(floor_of)
def _floor_default(element, compiler, **kw):
    return f"floor({_args(element, compiler, **kw)[0]})"


@compiles(floor_of, "sqlite")
def _floor_sqlite(element, compiler, **kw):
    # Not floor(): SQLite may lack it, and SQLAlchemy's pysqlite dialect replaces it with a
    # Python function (math.floor) that runs per row and overflows past 2**63. CAST truncates,
    # which is the floor for the non-negative values given here; it saturates at 2**63, so the
    # (already integral) doubles from 2**52 up are passed through unchanged.
    value = _args(element, compiler, **kw)[0]
    return (f"(CASE WHEN ({value}) < {FIRST_INTEGRAL_DOUBLE!r} "
            f"THEN CAST({value} AS INTEGER) ELSE ({value}) END)")


def _strict_extreme(element, compiler, least: bool, **kw) -> str:
    args = _args(element, compiler, **kw)
    any_null = " OR ".join(f"({arg}) IS NULL" for arg in args)
    name = "LEAST" if least else "GREATEST"
    return f"(CASE WHEN {any_null} THEN NULL ELSE {name}({', '.join(args)}) END)"


@compiles(least_strict)
def _least_default(element, compiler, **kw):
    return _strict_extreme(element, compiler, True, **kw)


@compiles(greatest_strict)
def _greatest_default(element, compiler, **kw):
    return _strict_extreme(element, compiler, False, **kw)


@compiles(least_strict, "sqlite")
def _least_sqlite(element, compiler, **kw):
    # SQLite's multi-argument min() is already NULL when any argument is.
    return f"min({', '.join(_args(element, compiler, **kw))})"


@compiles(greatest_strict, "sqlite")
def _greatest_sqlite(element, compiler, **kw):
    return f"max({', '.join(_args(element, compiler, **kw))})"
