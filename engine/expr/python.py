"""Compile a checked expression to a Python callable: a tree of closures, no eval/exec.

Values are read as the SQL compiler reads columns: dates as ``datetime.date``, decimals as
scaled ints, booleans as bool, null as None. Numbers are computed as doubles.
"""
from __future__ import annotations

import operator
from typing import Any, Callable, Mapping

from .checker import Types, annotate, date_of_text, operand_type
from .nodes import Binary, Call, InList, IsNull, Literal, Name, Node, Unary
from .rounding import round_half_away
from .types import DATE, NUMBER, ExprType

Row = Mapping[str, Any]
Evaluate = Callable[[Row], Any]
_COMPARE = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
            ">": operator.gt, ">=": operator.ge}


def compile_python(node: Node, env: Mapping[str, ExprType]) -> Callable[..., Any]:
    """A function ``(values, as_of=None) -> value`` computing the expression for one row.

    ``values`` maps every name of the expression to its value (a missing one is a KeyError);
    ``as_of``, when given, overrides ``values['as_of']``.
    """
    evaluate = _PythonCompiler(annotate(node, env)).compile(node)

    def run(values: Row, as_of: Any = None) -> Any:
        return evaluate(values if as_of is None else {**values, "as_of": as_of})

    return run


def convert(source: ExprType, target: ExprType) -> Callable[[Any], Any] | None:
    """How a non-null value of type ``source`` becomes ``target`` (None: unchanged)."""
    if target == NUMBER:
        divisor = 10.0**source.scale if source.kind == "decimal" else 1.0
        return lambda value: float(value) / divisor
    if target.kind == "decimal" and source.kind == "decimal" and source.scale < target.scale:
        factor = 10 ** (target.scale - source.scale)
        return lambda value: value * factor
    return None


class _PythonCompiler:
    """Builds one closure per node; ``_compile_*`` methods handle one node class each."""

    def __init__(self, types: Types):
        self.types = types

    def compile(self, node: Node) -> Evaluate:
        return getattr(self, f"_compile_{type(node).__name__.lower()}")(node)

    def operand(self, node: Node, target: ExprType) -> Evaluate:
        """The closure for ``node`` with its value brought to ``target`` (null stays None)."""
        evaluate = self.compile(node)
        change = convert(self.types[id(node)], target)
        if change is None:
            return evaluate

        def converted(values: Row) -> Any:
            value = evaluate(values)
            return None if value is None else change(value)

        return converted

    def _compile_literal(self, node: Literal) -> Evaluate:
        value = node.value
        if self.types[id(node)] == DATE:
            value = date_of_text(node.value, node.position)
        return lambda values: value

    def _compile_name(self, node: Name) -> Evaluate:
        name = node.name
        return lambda values: values[name]

    def _compile_unary(self, node: Unary) -> Evaluate:
        if node.op == "not":
            operand = self.compile(node.operand)
            return lambda values: not operand(values)
        operand = self.operand(node.operand, self.types[id(node)])
        return lambda values: _null_or(operator.neg, operand(values))

    def _compile_binary(self, node: Binary) -> Evaluate:
        if node.op in ("and", "or"):
            return self._logic(node)
        target = operand_type(node, self.types)
        left, right = self.operand(node.left, target), self.operand(node.right, target)
        if node.op in _COMPARE:
            compare = _COMPARE[node.op]
            return lambda values: _compared(compare, left(values), right(values))
        if node.op == "/":
            return lambda values: _divided(left(values), right(values))
        arithmetic = {"+": operator.add, "-": operator.sub, "*": operator.mul}[node.op]
        return lambda values: _null_or(arithmetic, left(values), right(values))

    def _logic(self, node: Binary) -> Evaluate:
        left, right = self.compile(node.left), self.compile(node.right)
        if node.op == "and":
            return lambda values: bool(left(values)) and bool(right(values))
        return lambda values: bool(left(values)) or bool(right(values))

    def _compile_inlist(self, node: InList) -> Evaluate:
        target = operand_type(node, self.types)
        operand = self.operand(node.operand, target)
        items = tuple(self.operand(item, target)({}) for item in node.items)
        return lambda values: _member(operand(values), items)

    def _compile_isnull(self, node: IsNull) -> Evaluate:
        operand = self.compile(node.operand)
        if node.negated:
            return lambda values: operand(values) is not None
        return lambda values: operand(values) is None

    def _compile_call(self, node: Call) -> Evaluate:
        target = operand_type(node, self.types)
        if node.function == "round":
            value, digits = self.operand(node.args[0], NUMBER), node.args[1].value
            return lambda values: round_half_away(value(values), digits)
        if node.function in ("month", "year", "days"):
            args = [self.compile(arg) for arg in node.args]
        else:
            args = [self.operand(arg, target) for arg in node.args]
        function = _FUNCTIONS[node.function]
        return lambda values: function(*[arg(values) for arg in args])


def _null_or(function: Callable[..., Any], *args: Any) -> Any:
    return None if None in args else function(*args)


def _compared(compare: Callable[[Any, Any], bool], left: Any, right: Any) -> bool:
    return left is not None and right is not None and compare(left, right)


def _divided(left: Any, right: Any) -> float | None:
    if left is None or right is None or right == 0:
        return None
    return left / right


def _member(value: Any, items: tuple[Any, ...]) -> bool:
    return value is not None and value in items


def _coalesce(*values: Any) -> Any:
    return next((value for value in values if value is not None), None)


_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "abs": lambda value: _null_or(abs, value),
    "coalesce": _coalesce,
    "days": lambda start, end: _null_or(lambda a, b: (b - a).days, start, end),
    "max": lambda *values: _null_or(max, *values),
    "min": lambda *values: _null_or(min, *values),
    "month": lambda day: None if day is None else f"{day.year:04d}-{day.month:02d}",
    "year": lambda day: None if day is None else day.year,
}
