"""Compile a checked expression to numpy: one call computes it for every customer at once.

The results are those of :func:`engine.expr.compile_python` applied row by row (null in
arithmetic gives null, division by zero gives null, a comparison with a null side is false,
``and``/``or``/``not`` read null as false), without interpreting anything per customer.
Formulas and tier conditions only see doubles, text, dates and booleans: aggregates and
fields never produce exact decimals.
"""
from __future__ import annotations

import operator
from typing import Callable, Mapping

import numpy as np

from engine.expr.checker import Types, annotate, date_of_text, operand_type
from engine.expr.nodes import COMPARISONS, Binary, Call, InList, IsNull, Literal, Name, Node
from engine.expr.nodes import Unary
from engine.expr.types import ExprType

from .vectors import Vec, round_half_away_array

Env = Mapping[str, Vec]
Compiled = Callable[[Env, int], Vec]
_COMPARE = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
            ">": operator.gt, ">=": operator.ge}
_ARITHMETIC = {"+": operator.add, "-": operator.sub, "*": operator.mul}


def compile_vector(node: Node, env: Mapping[str, ExprType]) -> Compiled:
    """A function ``(vectors, size) -> Vec`` computing ``node`` for every customer.

    ``vectors`` maps each name of the expression (``as_of`` included) to a :class:`Vec`.
    """
    return _VectorCompiler(annotate(node, env)).compile(node)


def kind_of(typ: ExprType) -> str:
    """The vector kind holding values of ``typ`` (decimals are doubles by now)."""
    return {"decimal": "number", "null": "number"}.get(typ.kind, typ.kind)


def truth(vec: Vec) -> np.ndarray:
    """Where a boolean vector is true; null counts as false."""
    return vec.values & ~vec.null if vec.kind == "boolean" else np.zeros(len(vec), dtype=bool)


def _filled(vec: Vec) -> np.ndarray:
    """Values safe to compare elementwise: text nulls become '' (masked out afterwards)."""
    if vec.kind == "text":
        return np.where(vec.null, "", vec.values)
    return vec.values


def _boolean(values: np.ndarray) -> Vec:
    return Vec("boolean", np.asarray(values, dtype=bool), np.zeros(len(values), dtype=bool))


class _VectorCompiler:
    """One closure per node; ``_compile_*`` methods handle one node class each."""

    def __init__(self, types: Types):
        self.types = types

    def compile(self, node: Node) -> Compiled:
        return getattr(self, f"_compile_{type(node).__name__.lower()}")(node)

    def operand(self, node: Node, target: ExprType) -> Compiled:
        """``node`` with its values in the kind of ``target`` (a null literal takes it)."""
        compiled, kind = self.compile(node), kind_of(target)
        if self.types[id(node)].kind != "null":
            return compiled
        return lambda env, size: Vec.nulls(kind, size)

    def _compile_literal(self, node: Literal) -> Compiled:
        typ, value = self.types[id(node)], node.value
        if typ.kind == "date":
            value = date_of_text(node.value, node.position)
        elif typ.kind == "number":
            value = float(value)
        kind = kind_of(typ)
        return lambda env, size: Vec.full(kind, value, size)

    def _compile_name(self, node: Name) -> Compiled:
        name = node.name
        return lambda env, size: env[name]

    def _compile_unary(self, node: Unary) -> Compiled:
        if node.op == "not":
            inner = self.compile(node.operand)
            return lambda env, size: _boolean(~truth(inner(env, size)))
        inner = self.operand(node.operand, self.types[id(node)])

        def negate(env, size):
            vec = inner(env, size)
            return Vec("number", -vec.values, vec.null)

        return negate

    def _compile_binary(self, node: Binary) -> Compiled:
        if node.op in ("and", "or"):
            left, right = self.compile(node.left), self.compile(node.right)
            combine = np.logical_and if node.op == "and" else np.logical_or
            return lambda env, size: _boolean(combine(truth(left(env, size)),
                                                      truth(right(env, size))))
        target = operand_type(node, self.types)
        left, right = self.operand(node.left, target), self.operand(node.right, target)
        if node.op in COMPARISONS:
            compare = _COMPARE[node.op]
            return lambda env, size: _compared(compare, left(env, size), right(env, size))
        if node.op == "/":
            return lambda env, size: _divided(left(env, size), right(env, size))
        arithmetic = _ARITHMETIC[node.op]

        def calculate(env, size):
            a, b = left(env, size), right(env, size)
            with np.errstate(all="ignore"):
                return Vec.of("number", arithmetic(a.values, b.values), a.null | b.null)

        return calculate

    def _compile_inlist(self, node: InList) -> Compiled:
        target = operand_type(node, self.types)
        operand = self.operand(node.operand, target)
        items = [self.operand(item, target) for item in node.items]

        def member(env, size):
            vec = operand(env, size)
            values, found = _filled(vec), np.zeros(size, dtype=bool)
            for item in items:
                found |= np.asarray(values == _filled(item(env, size)), dtype=bool)
            return _boolean(found & ~vec.null)

        return member

    def _compile_isnull(self, node: IsNull) -> Compiled:
        inner = self.compile(node.operand)
        if node.negated:
            return lambda env, size: _boolean(~inner(env, size).null)
        return lambda env, size: _boolean(inner(env, size).null.copy())

    def _compile_call(self, node: Call) -> Compiled:
        if node.function == "round":
            value, digits = self.operand(node.args[0], self.types[id(node)]), node.args[1].value

            def round_values(env, size):
                vec = value(env, size)
                return Vec.of("number", round_half_away_array(vec.values, digits), vec.null)

            return round_values
        if node.function in _DATE_FUNCTIONS:
            args = [self.compile(arg) for arg in node.args]
            function = _DATE_FUNCTIONS[node.function]
            return lambda env, size: function(*[arg(env, size) for arg in args])
        target = self.types[id(node)]
        args = [self.operand(arg, target) for arg in node.args]
        function = _FUNCTIONS[node.function]
        return lambda env, size: function(*[arg(env, size) for arg in args])


def _compared(compare, left: Vec, right: Vec) -> Vec:
    with np.errstate(invalid="ignore"):
        result = np.asarray(compare(_filled(left), _filled(right)), dtype=bool)
    return _boolean(result & ~left.null & ~right.null)


def _divided(left: Vec, right: Vec) -> Vec:
    null = left.null | right.null | (right.values == 0)
    with np.errstate(all="ignore"):
        return Vec.of("number", left.values / right.values, null)


def _dates(vec: Vec) -> tuple[np.ndarray, np.ndarray]:
    """A date vector's values and nulls (a null literal argument is all null)."""
    if vec.kind != "date":
        return np.full(len(vec), "NaT", dtype="datetime64[D]"), np.ones(len(vec), dtype=bool)
    return vec.values, vec.null


def _month(day: Vec) -> Vec:
    values, null = _dates(day)
    texts = np.datetime_as_string(values.astype("datetime64[M]"), unit="M").astype(object)
    return Vec.of("text", texts, null)


def _year(day: Vec) -> Vec:
    values, null = _dates(day)
    years = values.astype("datetime64[Y]").astype(np.int64) + 1970
    return Vec.of("number", years.astype(np.float64), null)


def _days(start: Vec, end: Vec) -> Vec:
    (a, a_null), (b, b_null) = _dates(start), _dates(end)
    difference = (b - a).astype(np.int64).astype(np.float64)
    return Vec.of("number", difference, a_null | b_null)


def _coalesce(*args: Vec) -> Vec:
    result = args[-1]
    for arg in reversed(args[:-1]):
        values = np.where(arg.null, result.values, arg.values)
        result = Vec(arg.kind, values, arg.null & result.null)
    return result


def _abs(value: Vec) -> Vec:
    return Vec("number", np.abs(value.values), value.null)


def _extreme(pick_left) -> Callable[..., Vec]:
    def extreme(*args: Vec) -> Vec:
        null = np.logical_or.reduce([arg.null for arg in args])
        values = _filled(args[0])
        for arg in args[1:]:
            other = _filled(arg)
            values = np.where(np.asarray(pick_left(values, other), dtype=bool), values, other)
        return Vec.of(args[0].kind, values, null)

    return extreme


_DATE_FUNCTIONS = {"month": _month, "year": _year, "days": _days}
_FUNCTIONS = {
    "coalesce": _coalesce,
    "abs": _abs,
    "min": _extreme(operator.le),
    "max": _extreme(operator.ge),
}
