"""The syntax tree of a parsed expression: small frozen nodes, compared without positions."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Union


@dataclass(frozen=True)
class Literal:
    """A number (int or float), string, boolean or ``None`` written in the expression."""

    value: object
    position: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Name:
    """A reference: a metric, field, ``table.column`` or ``as_of``."""

    name: str
    position: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Unary:
    """``-x`` or ``not x``; ``position`` is the operator's."""

    op: str
    operand: Node
    position: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Binary:
    """An arithmetic, comparison or logical operator; ``position`` is the operator's."""

    op: str
    left: Node
    right: Node
    position: int = field(default=0, compare=False)


@dataclass(frozen=True)
class InList:
    """``operand in [item, ...]`` with literal items; ``position`` is that of ``in``."""

    operand: Node
    items: tuple[Literal, ...]
    position: int = field(default=0, compare=False)


@dataclass(frozen=True)
class IsNull:
    """``operand is null`` (or ``is not null`` when ``negated``); ``position`` is that of ``is``."""

    operand: Node
    negated: bool = False
    position: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Call:
    """A call of a built-in function by its bare name."""

    function: str
    args: tuple[Node, ...]
    position: int = field(default=0, compare=False)


Node = Union[Literal, Name, Unary, Binary, InList, IsNull, Call]

ARITHMETIC = frozenset({"+", "-", "*", "/"})
COMPARISONS = frozenset({"==", "!=", "<", "<=", ">", ">="})
LOGICAL = frozenset({"and", "or"})


def children(node: Node) -> tuple[Node, ...]:
    """The direct sub-expressions of ``node``, left to right."""
    if isinstance(node, Unary | IsNull):
        return (node.operand,)
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, InList):
        return (node.operand, *node.items)
    if isinstance(node, Call):
        return node.args
    return ()


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree, parents before children (iterative: no recursion limit)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))


def names_in(node: Node) -> frozenset[str]:
    """Every name the expression refers to, e.g. ``{'orders.amount', 'as_of'}``."""
    return frozenset(n.name for n in walk(node) if isinstance(n, Name))


def start_of(node: Node) -> int:
    """The offset where the text of ``node`` begins (its leftmost token)."""
    while isinstance(node, Binary | InList | IsNull):
        node = node.left if isinstance(node, Binary) else node.operand
    return node.position
