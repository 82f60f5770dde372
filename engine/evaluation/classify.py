"""Segments from axis scores: quadrant splits or ordered tiers (SPEC §3.2, §3.5 Splits).

Quadrant splits are computed over the axis scores of the customers in scope (per group under
``split_within``; a numeric split ignores groups); a score at or above the split is high.
``median`` is ``p50``; ``pNN`` interpolates linearly between the ordered scores; ``mean`` is
compared exactly in integer units of 10⁻⁹. With a stability margin M, a customer whose
previous segment was on the high side stays high while score ≥ split − M and one on the low
side becomes high only when score ≥ split + M.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Callable, Mapping

import numpy as np

from engine.definitions.ruleset_specs import Quadrant, RulesetSpec, Tiers
from engine.expr import NUMBER, parse

from .vector_expr import compile_vector, truth
from .vectors import Vec, texts_of

HIGH, LOW, NONE = 1, 0, -1
UNITS = 1e9


@dataclass(frozen=True)
class GroupSplit:
    """One group's split of one axis: its value, who is high, who sits exactly on it."""

    value: float | None
    high: np.ndarray
    on_split: np.ndarray


SplitRule = Callable[[np.ndarray, np.ndarray, float], GroupSplit]


@dataclass(frozen=True)
class Classification:
    """Each customer's computed segment, and how the run got there."""

    segments: np.ndarray                       # segment id per customer
    sides: Mapping[str, np.ndarray] | None     # quadrant: axis → high (bool) per customer
    groups: np.ndarray | None                  # split_within group key per customer
    splits: dict                               # JSON-ready record of every split
    on_split: Mapping[str, int]                # axis → customers exactly on its split


def split_rule(rule) -> SplitRule:
    """The function computing a split named ``median``, ``mean``, ``pNN`` or a number."""
    if isinstance(rule, bool):
        raise ValueError(f"unknown split {rule!r}")
    if isinstance(rule, int | float):
        return lambda scores, previous, margin: threshold_split(float(rule), scores, previous,
                                                                margin)
    if rule == "mean":
        return mean_split
    if rule == "median" or (isinstance(rule, str) and rule.startswith("p")):
        share = 0.5 if rule == "median" else float(rule[1:]) / 100
        return lambda scores, previous, margin: threshold_split(
            quantile(share, scores), scores, previous, margin)
    raise ValueError(f"unknown split {rule!r}; known: median, mean, pNN, a number")


def quantile(share: float, scores: np.ndarray) -> float | None:
    """``lo + (hi − lo) × (pos − ⌊pos⌋)`` with ``pos = share × (n − 1)`` over sorted scores."""
    if len(scores) == 0:
        return None
    ordered = np.sort(scores)
    position = share * (len(scores) - 1)
    low, high = float(ordered[math.floor(position)]), float(ordered[math.ceil(position)])
    return low + (high - low) * (position - math.floor(position))


def threshold_split(split: float | None, scores: np.ndarray, previous: np.ndarray,
                    margin: float) -> GroupSplit:
    if split is None:
        empty = np.zeros(len(scores), dtype=bool)
        return GroupSplit(None, empty, empty)
    high = np.where(previous == HIGH, scores >= split - margin,
                    np.where(previous == LOW, scores >= split + margin, scores >= split))
    return GroupSplit(split, high, scores == split)


def mean_split(scores: np.ndarray, previous: np.ndarray, margin: float) -> GroupSplit:
    """High when n·s ≥ Σs in integer units of 10⁻⁹ (± n·M for previous sides)."""
    count = len(scores)
    if count == 0:
        return threshold_split(None, scores, previous, margin)
    units = np.rint(scores * UNITS).astype(np.int64)
    total = int(units.sum())
    scaled, slack = count * units, count * int(np.rint(margin * UNITS))
    high = np.where(previous == HIGH, scaled >= total - slack,
                    np.where(previous == LOW, scaled >= total + slack, scaled >= total))
    return GroupSplit(total / count / UNITS, high, scaled == total)


def group_keys(values: Vec) -> np.ndarray:
    """The ``split_within`` group of each customer: the value's text, '' when empty."""
    texts = texts_of(values)
    return np.where(np.equal(texts, None), "", texts).astype(object)


def classify_quadrant(quadrant: Quadrant, axes: Mapping[str, np.ndarray],
                      previous: Mapping[str, np.ndarray], within: Vec | None) -> Classification:
    size = len(next(iter(axes.values())))
    groups = group_keys(within) if within is not None else None
    sides, splits, on_split = {}, {}, {}
    for axis in (quadrant.x, quadrant.y):
        rule, scores = quadrant.splits[axis], axes[axis]
        compute = split_rule(rule)
        record = {"rule": rule}
        if quadrant.stability_margin:
            record["margin"] = quadrant.stability_margin
        high, on = np.zeros(size, dtype=bool), np.zeros(size, dtype=bool)
        numeric = isinstance(rule, int | float)
        if groups is None or numeric:
            result = compute(scores, previous[axis], float(quadrant.stability_margin))
            high, on, record["value"] = result.high, result.on_split, result.value
        else:
            record["within"], record["groups"] = quadrant.split_within, {}
            for key in sorted(set(groups.tolist())):
                members = np.flatnonzero(groups == key)
                result = compute(scores[members], previous[axis][members],
                                 float(quadrant.stability_margin))
                high[members], on[members] = result.high, result.on_split
                record["groups"][key] = result.value
        sides[axis], splits[axis], on_split[axis] = high, record, int(on.sum())
    segments = np.empty(size, dtype=object)
    for segment in quadrant.segments:
        wanted = np.ones(size, dtype=bool)
        for axis, side in segment.sides.items():
            wanted &= sides[axis] if side == "high" else ~sides[axis]
        segments[wanted] = segment.id
    return Classification(segments, sides, groups, splits, on_split)


def classify_tiers(tiers: Tiers, axes: Mapping[str, np.ndarray], metrics: Mapping[str, Vec],
                   metric_types: Mapping, as_of: dt.date) -> Classification:
    """The first tier whose ``when`` holds; the last tier takes the rest."""
    size = len(next(iter(axes.values())))
    env = {**metrics, **{a: Vec.of("number", s) for a, s in axes.items()},
           "as_of": Vec.full("date", as_of, size)}
    types = {**metric_types, **{a: NUMBER for a in axes}}
    segments = np.full(size, tiers.segments[-1].id, dtype=object)
    open_ = np.ones(size, dtype=bool)
    for tier in tiers.segments[:-1]:
        holds = truth(compile_vector(parse(tier.when), types)(env, size))
        segments[open_ & holds] = tier.id
        open_ &= ~holds
    return Classification(segments, None, None, {}, {})


def previous_sides(spec: RulesetSpec, previous_segments: np.ndarray) -> dict[str, np.ndarray]:
    """axis → HIGH/LOW/NONE per customer from each one's previous computed segment."""
    quadrant = spec.classification
    result = {}
    for axis in (quadrant.x, quadrant.y):
        side_of = {s.id: (HIGH if s.sides[axis] == "high" else LOW) for s in quadrant.segments}
        result[axis] = np.array([side_of.get(seg, NONE) for seg in previous_segments.tolist()],
                                dtype=np.int8)
    return result


def classify(spec: RulesetSpec, axes: Mapping[str, np.ndarray], metrics: Mapping[str, Vec],
             metric_types: Mapping, previous_segments: np.ndarray, fields: Mapping[str, Vec],
             as_of: dt.date) -> Classification:
    """Quadrant or tiers, as the ruleset says."""
    classification = spec.classification
    if isinstance(classification, Tiers):
        return classify_tiers(classification, axes, metrics, metric_types, as_of)
    within = fields.get(classification.split_within) if classification.split_within else None
    return classify_quadrant(classification, axes, previous_sides(spec, previous_segments),
                             within)
