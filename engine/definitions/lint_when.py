"""Lint of conditions: tiers that can never match, ``visible_if`` that is never true.

Both read the condition as boxes (:mod:`engine.definitions.lint_conditions`) and warn only
when the answer is certain: a part of a condition that is not understood counts as "may be
true" for the condition itself and as "takes nobody for sure" for the tiers above it.
"""
from __future__ import annotations

import math

from engine.definitions.documents import Document
from engine.definitions.lint_conditions import (Allowed, Box, Interval, Numbers, Texts,
                                                Unanalysable, boxes_of, covered, known,
                                                overlaps, possible, value_text)
from engine.definitions.lint_warnings import LintWarning, make_warning, quoted
from engine.errors import ExpressionError
from engine.expr import parse
from engine.expr.nodes import Binary, InList, Literal, Name, walk

AXIS_SCORES = Allowed(Numbers((Interval(0.0, True, 100.0, True),)), False)


def _boxes(text: str) -> list[Box] | None:
    try:
        return boxes_of(parse(text))
    except (ExpressionError, Unanalysable):
        return None


# --- tiers -----------------------------------------------------------------------------------

def lint_tiers(doc: Document) -> list[LintWarning]:
    classification = doc.content.get("classification", {})
    tiers = classification.get("tiers")
    if not isinstance(tiers, list):
        return []
    domains = {axis: AXIS_SCORES for axis in doc.content.get("axes", {})}
    warnings: list[LintWarning] = []
    earlier: list[tuple[str, list[Box]]] = []
    for i, tier in enumerate(tiers):
        path = ("classification", "tiers", i)
        boxes = [Box()] if "when" not in tier else _boxes(tier["when"])
        if boxes is None:
            earlier.append((tier["id"], []))
            continue
        try:
            warning = _tier_warning(doc, path, tier, boxes, earlier, domains)
            taken = known(possible(boxes, domains))
        except Unanalysable:
            warning, taken = None, []
        if warning:
            warnings.append(warning)
        earlier.append((tier["id"], taken))
    return warnings


def _tier_warning(doc, path, tier, boxes, earlier, domains) -> LintWarning | None:
    cases = possible(boxes, domains)
    if not cases:
        return make_warning(doc, path + ("when",), "tier_never_true", tier=quoted(tier["id"]))
    above = [b for _, bs in earlier for b in bs]
    if not all(covered(case, above, domains) for case in cases):
        return None
    if "when" not in tier:
        return make_warning(doc, path, "tier_unreachable", tier=quoted(tier["id"]))
    takers = [tier_id for tier_id, bs in earlier
              if any(overlaps(c, b, domains) for c in cases for b in bs)]
    return make_warning(doc, path + ("when",), "tier_shadowed", tier=quoted(tier["id"]),
                        earlier=", ".join(quoted(t) for t in takers))


# --- visible_if ------------------------------------------------------------------------------

def _field_domain(field: dict) -> Allowed:
    kind = field.get("type")
    if kind in ("select",) and field.get("options"):
        return Allowed(Texts(True, frozenset(value_text(o["value"]) for o in field["options"])))
    if kind == "boolean":
        return Allowed(Texts(True, frozenset({"true", "false"})))
    if kind in ("integer", "number"):
        lo, hi = field.get("min"), field.get("max")
        return Allowed(Numbers((Interval(-math.inf if lo is None else float(lo), lo is not None,
                                         math.inf if hi is None else float(hi),
                                         hi is not None),)))
    return Allowed()


def lint_visible_if(doc: Document) -> list[LintWarning]:
    fields = [f for f in doc.content.get("fields", []) if isinstance(f, dict)]
    domains = {f["key"]: _field_domain(f) for f in fields}
    selects = {f["key"]: f for f in fields if f.get("type") == "select" and f.get("options")}
    warnings: list[LintWarning] = []
    for i, field in enumerate(fields):
        text = field.get("visible_if")
        if not isinstance(text, str):
            continue
        path = ("fields", i, "visible_if")
        if _never_true(_boxes(text), domains):
            warnings.append(make_warning(doc, path, "visible_if_never_true",
                                         field=quoted(field["key"])))
        warnings += _unknown_options(doc, path, field["key"], text, selects)
    return warnings


def _never_true(boxes: list[Box] | None, domains) -> bool:
    if boxes is None:
        return False
    try:
        return not possible(boxes, domains)
    except Unanalysable:
        return False


def _compared_literals(text: str):
    """(name, literal value) of every ``name == 'x'``, ``name != 'x'``, ``name in [...]``."""
    try:
        tree = parse(text)
    except ExpressionError:
        return
    for node in walk(tree):
        if isinstance(node, InList) and isinstance(node.operand, Name):
            for item in node.items:
                yield node.operand.name, item.value
        elif isinstance(node, Binary) and node.op in ("==", "!="):
            for one, other in ((node.left, node.right), (node.right, node.left)):
                if isinstance(one, Name) and isinstance(other, Literal):
                    yield one.name, other.value


def _unknown_options(doc, path, key, text, selects) -> list[LintWarning]:
    warnings, seen = [], set()
    for name, value in _compared_literals(text):
        if name not in selects or value is None or (name, value_text(value)) in seen:
            continue
        seen.add((name, value_text(value)))
        options = {value_text(o["value"]) for o in selects[name]["options"]}
        if value_text(value) not in options:
            warnings.append(make_warning(doc, path, "visible_if_unknown_option",
                                         field=quoted(key), other=quoted(name),
                                         value=quoted(value_text(value))))
    return warnings
