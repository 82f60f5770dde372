"""Which values a condition (a tier's ``when``, a field's ``visible_if``) can be true for.

A condition becomes a disjunction of *boxes*: each box maps names to the values it allows
(numbers as intervals, text and booleans as sets, and whether null passes). Comparisons of a
name with a literal are understood; anything else (arithmetic, functions, two names compared)
is *unknown*. The lint uses boxes for two questions, both answered only when the answer is
certain: can this condition be true at all, and do earlier conditions already take every
value it allows. Logic is SPEC §3.5's: a comparison with null is false, ``not`` of false is
true.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping

from engine.expr.nodes import COMPARISONS, Binary, InList, IsNull, Literal, Name, Node, Unary

MAX_BOXES = 256
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


class Unanalysable(Exception):
    """The condition is beyond this analysis (too many cases, a name used two ways)."""


def value_text(value) -> str:
    """A literal or option value as text, the way map keys and profile values compare."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --- value sets ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Interval:
    lo: float
    lo_closed: bool
    hi: float
    hi_closed: bool

    @property
    def empty(self) -> bool:
        return self.lo > self.hi or (self.lo == self.hi and not (self.lo_closed and self.hi_closed))

    @property
    def wide(self) -> bool:
        """More than one point."""
        return self.lo < self.hi


EVERY_NUMBER = Interval(-math.inf, False, math.inf, False)


@dataclass(frozen=True)
class Numbers:
    """A union of intervals."""

    parts: tuple[Interval, ...]


@dataclass(frozen=True)
class Texts:
    """``items`` (``allow``) or everything but ``items`` (not ``allow``)."""

    allow: bool
    items: frozenset


ALL = "all"           # every value, kind not yet known
NONE = "none"         # no value


def _intersect_intervals(a: Interval, b: Interval) -> Interval:
    lo, lo_closed = max((a.lo, not a.lo_closed), (b.lo, not b.lo_closed))
    hi, hi_closed = min((a.hi, a.hi_closed), (b.hi, b.hi_closed))
    return Interval(lo, not lo_closed, hi, hi_closed)


def complement(numbers: Numbers) -> Numbers:
    parts, lo, lo_closed = [], -math.inf, False
    for part in sorted(numbers.parts, key=lambda p: (p.lo, not p.lo_closed)):
        parts.append(Interval(lo, lo_closed, part.lo, not part.lo_closed))
        if (part.hi, part.hi_closed) > (lo, not lo_closed):
            lo, lo_closed = part.hi, not part.hi_closed
    parts.append(Interval(lo, lo_closed, math.inf, False))
    return Numbers(tuple(p for p in parts if not p.empty))


def intersect(a, b):
    if a == ALL:
        return b
    if b == ALL:
        return a
    if NONE in (a, b):
        return NONE
    if isinstance(a, Numbers) and isinstance(b, Numbers):
        parts = (_intersect_intervals(x, y) for x in a.parts for y in b.parts)
        return Numbers(tuple(p for p in parts if not p.empty))
    if isinstance(a, Texts) and isinstance(b, Texts):
        if a.allow and b.allow:
            return Texts(True, a.items & b.items)
        if a.allow or b.allow:
            allowed, denied = (a, b) if a.allow else (b, a)
            return Texts(True, allowed.items - denied.items)
        return Texts(False, a.items | b.items)
    raise Unanalysable("a name compared with numbers and with text")


def minus(a, b):
    if b == ALL or a == NONE:
        return NONE
    if b == NONE:
        return a
    if isinstance(b, Numbers):
        return intersect(a, complement(b))
    return intersect(a, Texts(not b.allow, b.items))


def is_empty(values) -> bool:
    if values == NONE:
        return True
    if isinstance(values, Numbers):
        return not values.parts
    return isinstance(values, Texts) and values.allow and not values.items


@dataclass(frozen=True)
class Allowed:
    """The values one name may take in a box, and whether null passes."""

    values: object = ALL
    null: bool = True

    @property
    def empty(self) -> bool:
        return not self.null and is_empty(self.values)

    def __and__(self, other: "Allowed") -> "Allowed":
        return Allowed(intersect(self.values, other.values), self.null and other.null)

    def __sub__(self, other: "Allowed") -> "Allowed":
        return Allowed(minus(self.values, other.values), self.null and not other.null)


ANYTHING = Allowed()


# --- boxes -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Box:
    """One case of a condition: a constraint per name; ``unknown`` when parts were not
    understood (the box then allows at least what the condition allows, maybe more)."""

    names: Mapping[str, Allowed] = field(default_factory=dict)
    unknown: bool = False

    def get(self, name: str, domains: Mapping[str, Allowed]) -> Allowed:
        return self.names.get(name, ANYTHING) & domains.get(name, ANYTHING)

    def empty(self, domains: Mapping[str, Allowed]) -> bool:
        return any(self.get(n, domains).empty for n in set(self.names) | set(domains))

    def __and__(self, other: "Box") -> "Box":
        names = dict(self.names)
        for name, allowed in other.names.items():
            names[name] = names[name] & allowed if name in names else allowed
        return Box(names, self.unknown or other.unknown)


def _cases(boxes: list[Box]) -> list[Box]:
    if len(boxes) > MAX_BOXES:
        raise Unanalysable("too many cases")
    return boxes


def boxes_of(node: Node, negated: bool = False) -> list[Box]:
    """The condition ``node`` (or its negation) as a list of boxes, any of which may hold."""
    if isinstance(node, Unary) and node.op == "not":
        return boxes_of(node.operand, not negated)
    if isinstance(node, Binary) and node.op in ("and", "or"):
        left, right = boxes_of(node.left, negated), boxes_of(node.right, negated)
        if (node.op == "or") != negated:
            return _cases(left + right)
        return _cases([a & b for a in left for b in right])
    if isinstance(node, Literal) and isinstance(node.value, bool):
        return [Box()] if node.value != negated else []
    atom = _atom(node)
    if atom is None:
        return [Box(unknown=True)]
    name, allowed = atom
    if negated:
        allowed = _negated(allowed)
    return [Box({name: allowed})]


def _negated(allowed: Allowed) -> Allowed:
    if allowed.values == ALL:
        return Allowed(NONE, not allowed.null)
    if allowed.values == NONE:
        return Allowed(ALL, not allowed.null)
    if isinstance(allowed.values, Numbers):
        return Allowed(complement(allowed.values), not allowed.null)
    return Allowed(Texts(not allowed.values.allow, allowed.values.items), not allowed.null)


def _number(node: Node) -> float | None:
    if isinstance(node, Literal) and isinstance(node.value, int | float) \
            and not isinstance(node.value, bool):
        return float(node.value)
    if isinstance(node, Unary) and node.op == "-":
        inner = _number(node.operand)
        return None if inner is None else -inner
    return None


def _atom(node: Node) -> tuple[str, Allowed] | None:
    """(name, what it allows) for a comparison of a name with literals, else None."""
    if isinstance(node, Name):
        return node.name, Allowed(Texts(True, frozenset({"true"})), False)
    if isinstance(node, IsNull) and isinstance(node.operand, Name):
        return node.operand.name, Allowed(ALL, False) if node.negated else Allowed(NONE, True)
    if isinstance(node, InList) and isinstance(node.operand, Name):
        return node.operand.name, _in_list(node.items)
    if isinstance(node, Binary) and node.op in COMPARISONS:
        op, left, right = node.op, node.left, node.right
        if isinstance(right, Name) and not isinstance(left, Name):
            op, left, right = _FLIP[op], right, left
        if isinstance(left, Name):
            return _comparison(left.name, op, right)
    return None


def _in_list(items) -> Allowed | None:
    values = [i.value for i in items if i.value is not None]
    if values and all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        v = [float(x) for x in values]
        return Allowed(Numbers(tuple(Interval(x, True, x, True) for x in v)), False)
    return Allowed(Texts(True, frozenset(value_text(v) for v in values)), False)


def _comparison(name: str, op: str, other: Node) -> tuple[str, Allowed] | None:
    number = _number(other)
    if number is not None:
        inf = math.inf
        parts = {"<": [Interval(-inf, False, number, False)],
                 "<=": [Interval(-inf, False, number, True)],
                 ">": [Interval(number, False, inf, False)],
                 ">=": [Interval(number, True, inf, False)],
                 "==": [Interval(number, True, number, True)],
                 "!=": [Interval(-inf, False, number, False), Interval(number, False, inf, False)]}
        return name, Allowed(Numbers(tuple(parts[op])), False)
    if isinstance(other, Literal) and isinstance(other.value, str | bool) and op in ("==", "!="):
        return name, Allowed(Texts(op == "==", frozenset({value_text(other.value)})), False)
    return None


# --- questions -------------------------------------------------------------------------------

def known(boxes: list[Box]) -> list[Box]:
    """The boxes understood whole: what the condition certainly takes."""
    return [b for b in boxes if not b.unknown]


def possible(boxes: list[Box], domains: Mapping[str, Allowed]) -> list[Box]:
    """The boxes that some value can satisfy."""
    return [b for b in boxes if not b.empty(domains)]


def subtract(box: Box, other: Box, domains: Mapping[str, Allowed]) -> list[Box]:
    """``box`` minus ``other`` as disjoint boxes."""
    names = sorted(set(box.names) | set(other.names))
    pieces, kept = [], {}
    for name in names:
        mine, theirs = box.get(name, domains), other.get(name, domains)
        rest = mine - theirs
        if not rest.empty:
            pieces.append(Box({**box.names, **kept, name: rest}, box.unknown))
        kept[name] = mine & theirs
        if kept[name].empty:
            return [box]
    return pieces


def covered(box: Box, earlier: list[Box], domains: Mapping[str, Allowed]) -> bool:
    """Whether the ``earlier`` boxes together allow every value ``box`` allows."""
    remaining = [box]
    for other in earlier:
        remaining = [p for r in remaining for p in subtract(r, other, domains)]
        if len(remaining) > MAX_BOXES:
            raise Unanalysable("too many cases")
        if not remaining:
            return True
    return not remaining


def overlaps(box: Box, other: Box, domains: Mapping[str, Allowed]) -> bool:
    names = set(box.names) | set(other.names)
    return not any((box.get(n, domains) & other.get(n, domains)).empty for n in names)
