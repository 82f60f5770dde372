"""Limits that keep an expression, and the SQL it compiles to, small enough to handle.

The parser refuses texts over MAX_LENGTH characters and trees deeper than MAX_DEPTH, so that
Python's recursion (and SQLAlchemy's) cannot run out. Two things grow faster than the text:
the SQL *size*, because the SQL compiler repeats some arguments (round's value up to 8 times,
min/max arguments twice on PostgreSQL), and the SQL *nesting*, because SQLite's parser has a
fixed stack of 100 entries (a nested function call takes about 3). The nesting costs below are
upper bounds of what each construct takes on that stack, measured on SQLite 3.40; the budget
leaves room for callers to wrap the expression (``sum(CASE WHEN where THEN of END)``).
"""
from __future__ import annotations

from engine.errors import ExpressionError

from .nodes import ARITHMETIC, LOGICAL, Binary, Call, InList, IsNull, Node, children
from .nodes import start_of

MAX_LENGTH = 2000
MAX_DEPTH = 50
MAX_SQL_TERMS = 10_000
MAX_SQL_NESTING = 80
SQL_REPEATS = {"round": 8, "min": 2, "max": 2}
_LEAF_NESTING = 2
_CALL_NESTING = {"abs": 4, "coalesce": 6, "min": 6, "max": 6, "month": 7, "year": 7,
                 "days": 7, "round": 34}


def check_depth(tree: Node) -> None:
    """Refuse trees deeper than MAX_DEPTH (long operator chains too), iteratively."""
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ExpressionError(f"expression nested deeper than {MAX_DEPTH} levels",
                                  node.position)
        stack.extend((child, depth + 1) for child in children(node))


def check_sql_limits(node: Node) -> None:
    """Refuse an expression whose SQL would be too large or too deeply nested."""
    size = sql_terms(node)
    if size > MAX_SQL_TERMS:
        raise ExpressionError(
            f"expression too complex: nested round/min/max would expand to {size} SQL terms "
            f"(at most {MAX_SQL_TERMS})", start_of(node))
    if sql_nesting(node) > MAX_SQL_NESTING:
        raise ExpressionError(
            "expression too deeply nested for SQL: use fewer nested function calls, "
            "divisions or parentheses", start_of(node))


def sql_terms(node: Node) -> int:
    """How many terms the SQL text of ``node`` has, counting repeated arguments each time."""
    repeats = SQL_REPEATS.get(node.function, 1) if isinstance(node, Call) else 1
    return 1 + sum(repeats * sql_terms(child) for child in children(node))


def sql_nesting(node: Node) -> int:
    """An upper bound of the SQLite parser stack the SQL of ``node`` needs."""
    below = children(node)
    if not below:
        return _LEAF_NESTING
    costs = _edge_costs(node, len(below))
    return max(cost + sql_nesting(child) for cost, child in zip(costs, below))


def _edge_costs(node: Node, count: int) -> list[int]:
    """The stack each child of ``node`` sits under (a left operand reduces early: cheap)."""
    if isinstance(node, Binary):
        if node.op == "/":
            return [2, 8]
        if node.op in ARITHMETIC:
            return [1, 4]
        return [1, 3] if node.op in LOGICAL else [5, 5]
    if isinstance(node, Call):
        return [_CALL_NESTING[node.function]] * count
    if isinstance(node, InList):
        return [3] * count
    return [2] if isinstance(node, IsNull) else [3]
