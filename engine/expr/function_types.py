"""Type rules of the built-in functions (their arity is checked by the parser)."""
from __future__ import annotations

from typing import Callable, Protocol

from engine.errors import ExpressionError

from .nodes import Call, Literal, Node, start_of
from .types import DATE, NULL, NUMBER, ORDERED_KINDS, TEXT, ExprType

MAX_ROUND_DIGITS = 15


class TypeContext(Protocol):
    """What a rule needs from the checker: the argument types and its shared refusals."""

    types: dict[int, ExprType]

    def meet(self, nodes: list[Node], conflict: str) -> ExprType: ...

    def as_date(self, node: Node) -> None: ...

    def require_numeric(self, node: Node, typ: ExprType, user: str) -> None: ...


def check_call(context: TypeContext, call: Call) -> ExprType:
    """The result type of ``call``, whose arguments are already typed."""
    return _RULES[call.function](context, call)


def _require_date(context: TypeContext, call: Call, arg: Node) -> None:
    context.as_date(arg)
    typ = context.types[id(arg)]
    if typ not in (DATE, NULL):
        raise ExpressionError(f"{call.function}() needs a date, got {typ}", start_of(arg))


def _month(context: TypeContext, call: Call) -> ExprType:
    _require_date(context, call, call.args[0])
    return TEXT


def _year(context: TypeContext, call: Call) -> ExprType:
    _require_date(context, call, call.args[0])
    return NUMBER


def _days(context: TypeContext, call: Call) -> ExprType:
    for arg in call.args:
        _require_date(context, call, arg)
    return NUMBER


def _coalesce(context: TypeContext, call: Call) -> ExprType:
    return context.meet(
        list(call.args), "coalesce() arguments must share one type, got {} and {}")


def _abs(context: TypeContext, call: Call) -> ExprType:
    typ = context.types[id(call.args[0])]
    context.require_numeric(call.args[0], typ, "abs()")
    return NUMBER if typ == NULL else typ


def _extreme(context: TypeContext, call: Call) -> ExprType:
    common = context.meet(
        list(call.args), f"{call.function}() arguments must share one type, got {{}} and {{}}")
    if common.kind not in ORDERED_KINDS | {"null"}:
        raise ExpressionError(
            f"{call.function}() compares numbers, dates or text, got {common}",
            start_of(call.args[0]))
    return NUMBER if common == NULL else common


def _round(context: TypeContext, call: Call) -> ExprType:
    value, digits = call.args
    context.require_numeric(value, context.types[id(value)], "round()")
    if not round_digits_ok(digits):
        raise ExpressionError(
            f"round() takes the number of digits as an integer literal from 0 to "
            f"{MAX_ROUND_DIGITS}", start_of(digits))
    return NUMBER


def round_digits_ok(node: Node) -> bool:
    """Whether ``node`` is an integer literal usable as round()'s number of digits."""
    if not isinstance(node, Literal) or type(node.value) is not int:
        return False
    return 0 <= node.value <= MAX_ROUND_DIGITS


_RULES: dict[str, Callable[[TypeContext, Call], ExprType]] = {
    "abs": _abs,
    "coalesce": _coalesce,
    "days": _days,
    "max": _extreme,
    "min": _extreme,
    "month": _month,
    "round": _round,
    "year": _year,
}
