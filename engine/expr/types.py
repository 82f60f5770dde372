"""The value types of the expression language and the rules that combine them."""
from __future__ import annotations

from dataclasses import dataclass

NUMERIC_KINDS = frozenset({"number", "decimal"})
ORDERED_KINDS = frozenset({"number", "decimal", "text", "date"})


@dataclass(frozen=True)
class ExprType:
    """A value type: ``number`` (a double, or an int where no arithmetic touched it),
    ``decimal`` (an exact integer of ``10**-scale`` units, e.g. cents), ``text``, ``date``,
    ``boolean`` or ``null`` (the type of the literal ``null``, which fits anywhere)."""

    kind: str
    scale: int = 0

    def __str__(self) -> str:
        return f"decimal({self.scale})" if self.kind == "decimal" else self.kind

    @property
    def is_numeric(self) -> bool:
        return self.kind in NUMERIC_KINDS


NUMBER = ExprType("number")
TEXT = ExprType("text")
DATE = ExprType("date")
BOOLEAN = ExprType("boolean")
NULL = ExprType("null")


def decimal(scale: int) -> ExprType:
    """The exact decimal type with ``scale`` digits after the point (money is ``decimal(2)``)."""
    if not isinstance(scale, int) or isinstance(scale, bool) or not 0 <= scale <= 18:
        raise ValueError(f"decimal scale must be an integer from 0 to 18, got {scale!r}")
    return ExprType("decimal", scale)


def unify(first: ExprType, second: ExprType) -> ExprType | None:
    """The type two values are brought to before they are compared or combined, or None.

    ``null`` fits every type; decimals of different scales meet at the larger scale; a
    decimal meeting a number becomes a double; any other pair must be of one kind.
    """
    if first.kind == "null":
        return second
    if second.kind == "null":
        return first
    if first.kind == second.kind == "decimal":
        return decimal(max(first.scale, second.scale))
    if first.is_numeric and second.is_numeric:
        return NUMBER
    return first if first.kind == second.kind else None


def unify_all(types: list[ExprType]) -> ExprType | None:
    """:func:`unify` over a list; None when any pair does not meet."""
    result = NULL
    for typ in types:
        met = unify(result, typ)
        if met is None:
            return None
        result = met
    return result


def additive_result(first: ExprType, second: ExprType) -> ExprType:
    """``+``/``-`` keeps decimals exact; every other mix of numbers is a double."""
    met = unify(first, second)
    return met if met is not None and met.kind == "decimal" else NUMBER


def satisfies(actual: ExprType, expected: ExprType) -> bool:
    """Whether a result of type ``actual`` is acceptable where ``expected`` is demanded.

    Kinds must agree (a decimal of any scale is a decimal); a decimal also serves as a number.
    """
    if actual.kind == expected.kind:
        return True
    return expected == NUMBER and actual.kind == "decimal"
