"""Type checking: every node gets an ExprType, or the expression is refused with a position."""
from __future__ import annotations

import datetime
import re
from difflib import get_close_matches
from typing import Mapping

from engine.errors import ExpressionError

from .function_types import check_call
from .limits import check_sql_limits
from .nodes import ARITHMETIC, COMPARISONS, Binary, Call, InList, IsNull, Literal, Name, Node, Unary
from .nodes import children, start_of
from .signatures import SIGNATURES
from .types import BOOLEAN, DATE, NULL, NUMBER, ORDERED_KINDS, TEXT, ExprType
from .types import additive_result, satisfies, unify, unify_all

Types = dict[int, ExprType]
"""The type of every node of one tree, keyed by ``id(node)`` (a literal's type depends on where
it stands: ``'2024-01-31'`` compared with a date is a date)."""

DATE_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}")


def check(node: Node, env: Mapping[str, ExprType], expect: ExprType | None = None) -> ExprType:
    """The type of the expression's result; with ``expect``, refuse any other type."""
    types = annotate(node, env)
    result = types[id(node)]
    if expect is not None and not satisfies(result, expect):
        raise ExpressionError(f"expected a {expect} expression, got {result}", start_of(node))
    return result


def annotate(node: Node, env: Mapping[str, ExprType]) -> Types:
    """The type of every node of the tree; ``as_of`` is a date unless ``env`` says otherwise."""
    checker = _Checker({"as_of": DATE, **env})
    checker.visit(node)
    check_sql_limits(node)
    return checker.types


def date_of_text(text: str, position: int) -> datetime.date:
    """The date a ``'YYYY-MM-DD'`` literal stands for; an impossible date is refused."""
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise ExpressionError(f"'{text}' is not a valid date", position) from None


class _Checker:
    """Assigns types bottom-up; each ``_check_*`` method handles one node class."""

    def __init__(self, env: Mapping[str, ExprType]):
        self.env = env
        self.types: Types = {}

    def visit(self, node: Node) -> ExprType:
        typ = getattr(self, f"_check_{type(node).__name__.lower()}")(node)
        self.types[id(node)] = typ
        return typ

    def _check_literal(self, node: Literal) -> ExprType:
        if node.value is None:
            return NULL
        if isinstance(node.value, bool):
            return BOOLEAN
        return TEXT if isinstance(node.value, str) else NUMBER

    def _check_name(self, node: Name) -> ExprType:
        if node.name in self.env:
            return self.env[node.name]
        known = sorted(self.env)
        close = get_close_matches(node.name, known, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        if node.name in SIGNATURES:
            raise ExpressionError(
                f"'{node.name}' is a function: call it as {SIGNATURES[node.name].usage}",
                node.position)
        if "." not in node.name:
            raise ExpressionError(f"unknown name '{node.name}'{hint}", node.position)
        table = node.name.split(".")[0]
        if any(name.startswith(f"{table}.") for name in known):
            raise ExpressionError(f"unknown column '{node.name}'{hint}", node.position)
        raise ExpressionError(
            f"attribute access is not allowed: '{node.name}' is not a fact table column{hint}",
            node.position)

    def _check_unary(self, node: Unary) -> ExprType:
        operand = self.visit(node.operand)
        if node.op == "not":
            self.require_boolean(node.operand, operand, "'not'")
            return BOOLEAN
        self.require_numeric(node.operand, operand, "'-'")
        return NUMBER if operand == NULL else operand

    def _check_binary(self, node: Binary) -> ExprType:
        left, right = self.visit(node.left), self.visit(node.right)
        if node.op in ARITHMETIC:
            self.require_numeric(node.left, left, f"'{node.op}'")
            self.require_numeric(node.right, right, f"'{node.op}'")
            return additive_result(left, right) if node.op in "+-" else NUMBER
        if node.op in COMPARISONS:
            self._check_comparison(node.op, node.left, [node.right])
            return BOOLEAN
        self.require_boolean(node.left, left, f"'{node.op}'")
        self.require_boolean(node.right, right, f"'{node.op}'")
        return BOOLEAN

    def _check_inlist(self, node: InList) -> ExprType:
        self.visit(node.operand)
        for item in node.items:
            self.visit(item)
        self._check_comparison("in", node.operand, list(node.items))
        return BOOLEAN

    def _check_isnull(self, node: IsNull) -> ExprType:
        self.visit(node.operand)
        return BOOLEAN

    def _check_call(self, node: Call) -> ExprType:
        for arg in node.args:
            self.visit(arg)
        return check_call(self, node)

    def _check_comparison(self, op: str, left: Node, others: list[Node]) -> None:
        for side in (left, *others):
            if self.types[id(side)] == NULL:
                raise ExpressionError(
                    "a comparison with null is always false; use 'is null' or 'is not null'",
                    start_of(side))
        common = self.meet([left, *others], "cannot compare {} with {}")
        if op not in ("==", "!=", "in") and common.kind not in ORDERED_KINDS:
            raise ExpressionError(f"{common} values cannot be ordered with '{op}'", start_of(left))

    def meet(self, nodes: list[Node], conflict: str) -> ExprType:
        """The type ``nodes`` are brought to (dates absorb date-like text literals)."""
        if any(self.types[id(n)] == DATE for n in nodes):
            for candidate in nodes:
                self.as_date(candidate)
        common = NULL
        for candidate in nodes:
            typ = self.types[id(candidate)]
            met = unify(common, typ)
            if met is None:
                raise ExpressionError(conflict.format(common, typ), start_of(candidate))
            common = met
        return common

    def as_date(self, node: Node) -> None:
        """Retype a ``'YYYY-MM-DD'`` text literal as a date; leave anything else alone."""
        if isinstance(node, Literal) and isinstance(node.value, str):
            if DATE_TEXT.fullmatch(node.value):
                date_of_text(node.value, node.position)
                self.types[id(node)] = DATE

    def require_numeric(self, node: Node, typ: ExprType, user: str) -> None:
        """Refuse a non-number operand or argument (``null`` is accepted)."""
        if not typ.is_numeric and typ != NULL:
            advice = "; use days(from, to) for dates" if typ == DATE else ""
            raise ExpressionError(f"{user} needs numbers, got {typ}{advice}", start_of(node))

    def require_boolean(self, node: Node, typ: ExprType, user: str) -> None:
        """Refuse a non-boolean operand (``null`` counts as false)."""
        if typ not in (BOOLEAN, NULL):
            raise ExpressionError(f"{user} needs booleans, got {typ}", start_of(node))


def operand_type(node: Node, types: Types) -> ExprType:
    """The type ``node`` brings its operands to before operating on them.

    Comparisons meet their sides; round() works on a double; every other numeric operation
    works in its own result type (so decimal ± decimal stays exact).
    """
    if isinstance(node, Binary) and node.op in COMPARISONS or isinstance(node, InList):
        return unify_all([types[id(side)] for side in children(node)])
    if isinstance(node, Call) and node.function == "round":
        return NUMBER
    return types[id(node)]
