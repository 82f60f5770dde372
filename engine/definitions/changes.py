"""What changed between two versions of a definition, in words an admin reads at a glance:
"metric new_revenue added", "weight of beds 2 → 3", "band of active_months 3–6 → 4–6".

The documents are compared structurally: mappings by key, lists of records by their identity
(an axis item by ``metric``, a form field by ``key``), other lists by position. Each difference
is then phrased by the first rule whose path pattern matches it, else as ``a.b.c: old → new``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable

IDENTITY_KEYS = ("metric", "key", "id")
MISSING = object()
ARROW = " → "


@dataclass(frozen=True)
class Change:
    """One difference: ``old`` is ``MISSING`` for an addition, ``new`` for a removal."""

    path: tuple
    old: Any
    new: Any


def describe_changes(old: dict, new: dict) -> list[str]:
    """The differences between two versions of one definition, as short phrases."""
    return [phrase(change) for change in diff(old, new, ())]


def diff(old: Any, new: Any, path: tuple) -> list[Change]:
    if isinstance(old, dict) and isinstance(new, dict) and not _is_text(old, new):
        return _diff_keyed(old, new, path)
    if isinstance(old, list) and isinstance(new, list):
        key = _identity(old, new)
        if key is not None:
            return _diff_keyed({i[key]: i for i in old}, {i[key]: i for i in new}, path)
        if len(old) == len(new):
            # Records without an identity (bands, transitions) change as a whole.
            return [Change(path + (i,), a, b) for i, (a, b) in enumerate(zip(old, new))
                    if a != b]
    return [] if old == new else [Change(path, old, new)]


def _diff_keyed(old: dict, new: dict, path: tuple) -> list[Change]:
    changes = []
    for key in list(old) + [k for k in new if k not in old]:
        a, b = old.get(key, MISSING), new.get(key, MISSING)
        if a is MISSING or b is MISSING:
            changes.append(Change(path + (key,), a, b))
        else:
            changes += diff(a, b, path + (key,))
    return changes


def _identity(*sides: list) -> str | None:
    """The key naming each record of the lists, when on each side every record has a
    distinct one (a repeated name could not tell records apart)."""
    items = [item for side in sides for item in side]
    if not items or not all(isinstance(i, dict) for i in items):
        return None
    for key in IDENTITY_KEYS:
        names = [[i.get(key) for i in side] for side in sides]
        if all(isinstance(n, str) and len(set(side)) == len(side)
               for side in names for n in side):
            return key
    return None


def _is_text(*values: dict) -> bool:
    """A human text given per locale (``{zh: …, en: …}``) changes as one value."""
    return all(v and set(v) <= {"zh", "en"} and all(isinstance(t, str) for t in v.values())
               for v in values)


def show(value: Any) -> str:
    """A value as an admin would write it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict) and _is_text(value):
        return " / ".join(value[k] for k in ("zh", "en") if k in value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def band_range(band: dict) -> str:
    low, high = band.get("min"), band.get("max")
    if low is not None and high is not None:
        return f"{show(low)}–{show(high)}"
    if low is not None:
        return f"≥ {show(low)}"
    return f"≤ {show(high)}" if high is not None else "any value"


def _was(change: Change, subject: str) -> str:
    """``subject added`` / ``removed`` / ``old → new``."""
    if change.old is MISSING:
        return f"{subject} added"
    if change.new is MISSING:
        return f"{subject} removed"
    return f"{subject} {show(change.old)}{ARROW}{show(change.new)}"


def _band(change: Change) -> str:
    metric, old, new = change.path[3], change.old, change.new
    if band_range(old) != band_range(new):
        return f"band of {metric} {band_range(old)}{ARROW}{band_range(new)}" + (
            "" if old.get("points") == new.get("points")
            else f" ({show(old.get('points'))}{ARROW}{show(new.get('points'))} points)")
    return (f"points of {metric} for {band_range(old)} {show(old.get('points'))}{ARROW}"
            f"{show(new.get('points'))}")


def _bands(change: Change) -> str:
    def listed(bands):
        return ", ".join(f"{band_range(b)}: {show(b.get('points'))}" for b in bands)
    return f"bands of {change.path[3]} {listed(change.old)}{ARROW}{listed(change.new)}"


Rule = tuple[tuple, Callable[[Change], str]]
ANY = "*"
RULES: list[Rule] = [
    (("metrics", ANY), lambda c: _was(c, f"metric {c.path[1]}")),
    (("metrics", ANY, ANY), lambda c: _was(c, f"{c.path[2]} of metric {c.path[1]}")),
    (("axes", ANY), lambda c: _was(c, f"axis {c.path[1]}")),
    (("axes", ANY, "items", ANY), lambda c: _was(c, f"item {c.path[3]} of axis {c.path[1]}")),
    (("axes", ANY, "items", ANY, "weight"), lambda c: _was(c, f"weight of {c.path[3]}")),
    (("axes", ANY, "items", ANY, "missing"),
     lambda c: _was(c, f"points of {c.path[3]} when missing")),
    (("axes", ANY, "items", ANY, "score", "bands", ANY), _band),
    (("axes", ANY, "items", ANY, "score", "bands"), _bands),
    (("axes", ANY, "items", ANY, "score", "map", ANY),
     lambda c: _was(c, f"points of {c.path[3]} for {c.path[6]}")),
    (("axes", ANY, "items", ANY, "score", "else"),
     lambda c: _was(c, f"points of {c.path[3]} otherwise")),
    (("axes", ANY, "items", ANY, "score"), lambda c: _was(c, f"score of {c.path[3]}")),
    (("classification", "quadrant", "split", ANY), lambda c: _was(c, f"split of {c.path[3]}")),
    (("classification", "segments", ANY), lambda c: _was(c, f"segment {c.path[2]}")),
    (("classification", "segments", ANY, ANY),
     lambda c: _was(c, f"{c.path[3]} of segment {c.path[2]}")),
    (("fields", ANY), lambda c: _was(c, f"field {c.path[1]}")),
    (("fields", ANY, ANY), lambda c: _was(c, f"{c.path[2]} of field {c.path[1]}")),
    (("tasks", ANY), lambda c: _was(c, f"task {c.path[1]}")),
    (("tasks", ANY, ANY), lambda c: _was(c, f"{c.path[2]} of task {c.path[1]}")),
    (("tasks", ANY, ANY, ANY),
     lambda c: _was(c, f"{c.path[2]}.{c.path[3]} of task {c.path[1]}")),
    (("on_enter", ANY), lambda c: _was(c, f"tasks on entering {c.path[1]}")),
]


def _matches(pattern: tuple, path: tuple) -> bool:
    return len(pattern) == len(path) and all(p in (ANY, q) for p, q in zip(pattern, path))


def phrase(change: Change) -> str:
    for pattern, render in RULES:
        if _matches(pattern, change.path):
            return render(change)
    return _was(change, ".".join(map(str, change.path)))
