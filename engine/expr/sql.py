"""Compile a checked expression to a SQLAlchemy expression with the Python compiler's results.

Booleans built from comparisons and logic are never NULL (``(...) IS TRUE``); on SQLite
they are 0/1 in raw SQL, and come back as bool when the result column is selected through
SQLAlchemy (the returned expression carries the Boolean type). Callers that read raw values
should normalize by the checked type.
"""
from __future__ import annotations

import operator
from typing import Callable, Mapping, Union

from sqlalchemy import BigInteger, Boolean, ColumnElement, Date, Float, Text, bindparam, cast
from sqlalchemy import and_, false, func, literal, not_, null, or_, true, type_coerce
from sqlalchemy.types import NullType, TypeEngine

from .checker import Types, annotate, date_of_text, operand_type
from .nodes import COMPARISONS, LOGICAL, Binary, Call, InList, IsNull, Literal, Name, Node, Unary
from .rounding import round_double_sql
from .sql_constructs import code_point, days_between, greatest_strict, grouped, is_true
from .sql_constructs import least_strict, month_of, year_of
from .types import DATE, NUMBER, ExprType

Columns = Union[Mapping[str, ColumnElement], Callable[[str], ColumnElement]]
_ORDERING = frozenset({"<", "<=", ">", ">="})
_DATE_FUNCTIONS = {"month": month_of, "year": year_of, "days": days_between}
_OPERATORS = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
    ">": operator.gt, ">=": operator.ge, "+": operator.add, "-": operator.sub,
    "*": operator.mul,
}


def compile_sql(node: Node, env: Mapping[str, ExprType], columns: Columns) -> ColumnElement:
    """The SQL expression computing ``node``, in the representation of its checked type.

    ``columns`` maps each name to a column (decimal names to their scaled-integer column, date
    names to a Date column); without an ``as_of`` entry, a Date bind parameter ``as_of`` is used.
    """
    types = annotate(node, env)
    compiled = _SqlCompiler(types, columns).compile(node)
    return type_coerce(compiled, sql_type(types[id(node)]))


def sql_type(typ: ExprType) -> TypeEngine:
    """The SQLAlchemy type holding values of ``typ`` (decimals as scaled integers)."""
    kinds = {"number": Float, "decimal": BigInteger, "text": Text, "date": Date,
             "boolean": Boolean, "null": NullType}
    return kinds[typ.kind]()


def convert(expr: ColumnElement, source: ExprType, target: ExprType) -> ColumnElement:
    """``expr`` of type ``source`` brought to ``target``, as :func:`.python.convert` does."""
    if source.kind == "null":
        return null() if target.kind == "null" else cast(null(), sql_type(target))
    if target == NUMBER:
        as_double = cast(expr, Float)
        if source.kind == "decimal" and source.scale:
            return as_double / literal(10.0**source.scale, Float)
        return as_double
    if target.kind == "decimal" and source.kind == "decimal" and source.scale < target.scale:
        return expr * literal(10 ** (target.scale - source.scale), BigInteger)
    return expr


def _never_null(node: Node) -> bool:
    """Whether the SQL for ``node`` is a boolean that is never NULL."""
    if isinstance(node, Binary):
        return node.op in COMPARISONS or node.op in LOGICAL
    if isinstance(node, Literal):
        return isinstance(node.value, bool)
    return isinstance(node, InList | IsNull) or isinstance(node, Unary) and node.op == "not"


def _computed_double(node: Node, compiled: ColumnElement) -> bool:
    """Whether ``compiled`` is a double already: a Float result of ours, not a column (which
    could be single precision) nor an integer."""
    return not isinstance(node, Name) and isinstance(compiled.type, Float)


class _SqlCompiler:
    """Builds the SQL expression bottom-up; ``_compile_*`` methods handle one node class each."""

    def __init__(self, types: Types, columns: Columns):
        self.types = types
        self.columns = columns

    def compile(self, node: Node) -> ColumnElement:
        return getattr(self, f"_compile_{type(node).__name__.lower()}")(node)

    def operand(self, node: Node, target: ExprType) -> ColumnElement:
        """``node`` compiled and brought to ``target``; computed doubles are not cast again."""
        compiled, source = self.compile(node), self.types[id(node)]
        if target == source == NUMBER and _computed_double(node, compiled):
            return compiled
        return convert(compiled, source, target)

    def truth(self, node: Node) -> ColumnElement:
        """``node`` as a condition where NULL counts as false."""
        compiled = self.compile(node)
        return compiled if _never_null(node) else is_true(compiled)

    def _compile_literal(self, node: Literal) -> ColumnElement:
        value, typ = node.value, self.types[id(node)]
        if value is None:
            return null()
        if isinstance(value, bool):
            return true() if value else false()
        if typ == DATE:
            return literal(date_of_text(value, node.position), Date)
        kind = Text if isinstance(value, str) else Float if isinstance(value, float) else BigInteger
        return literal(value, kind)

    def _compile_name(self, node: Name) -> ColumnElement:
        try:
            if callable(self.columns):
                return self.columns(node.name)
            return self.columns[node.name]
        except KeyError:
            if node.name != "as_of":
                raise
            return bindparam("as_of", type_=Date)

    def _compile_unary(self, node: Unary) -> ColumnElement:
        if node.op == "not":
            return not_(self.truth(node.operand))
        return -self.operand(node.operand, self.types[id(node)])

    def _compile_binary(self, node: Binary) -> ColumnElement:
        if node.op in LOGICAL:
            combine = and_ if node.op == "and" else or_
            return combine(self.truth(node.left), self.truth(node.right))
        target = operand_type(node, self.types)
        left, right = self.operand(node.left, target), self.operand(node.right, target)
        if node.op in COMPARISONS:
            if node.op in _ORDERING and target.kind == "text":
                left, right = code_point(left), code_point(right)
            return is_true(_OPERATORS[node.op](left, right))
        if node.op == "/":
            return left / func.nullif(right, literal(0.0, Float), type_=Float)
        if isinstance(node.right, Binary):
            right = grouped(right, type_=right.type)
        return _OPERATORS[node.op](left, right)

    def _compile_inlist(self, node: InList) -> ColumnElement:
        target = operand_type(node, self.types)
        items = [self.operand(item, target) for item in node.items]
        return is_true(self.operand(node.operand, target).in_(items))

    def _compile_isnull(self, node: IsNull) -> ColumnElement:
        operand = self.compile(node.operand)
        return operand.is_not(None) if node.negated else operand.is_(None)

    def _compile_call(self, node: Call) -> ColumnElement:
        if node.function in _DATE_FUNCTIONS:
            return _DATE_FUNCTIONS[node.function](*[self.compile(arg) for arg in node.args])
        if node.function == "round":
            return round_double_sql(self.operand(node.args[0], NUMBER), node.args[1].value)
        target = self.types[id(node)]
        args = [self.operand(arg, target) for arg in node.args]
        if node.function == "abs":
            return func.abs(args[0], type_=sql_type(target))
        if node.function == "coalesce":
            return args[0] if len(args) == 1 else func.coalesce(*args, type_=sql_type(target))
        if target.kind == "text":
            args = [code_point(arg) for arg in args]
        extreme = least_strict if node.function == "min" else greatest_strict
        return extreme(*args, type_=sql_type(target))
