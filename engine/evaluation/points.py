"""Score functions: a metric's values → 0–10 points per customer (SPEC §3.2, §3.5 Points).

Each function is registered by the name used in rulesets and returns the points of the
non-null values plus, for the explanation, which entry each value matched. Nulls get the
item's ``missing`` points; every result is rounded to 9 decimals. Formulas are evaluated
left to right as the spec writes them: ``10 × (rank − 1) / (n − 1)``,
``10 × clamp((v − a) / (b − a), 0, 1)``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from engine.definitions.ruleset_specs import (AxisItem, BandsScore, LinearScore, MapScore,
                                              PercentileScore)

from .vectors import Vec, round_half_away_array, texts_of

NO_MATCH = -1   # matched index of a value that fell to ``else``
MISSING = -2    # matched index of a null value


@dataclass(frozen=True)
class ItemPoints:
    """Points per customer and what each value matched: a band index, a map key position
    (in the map's order), :data:`NO_MATCH` or :data:`MISSING`."""

    points: np.ndarray
    matched: np.ndarray


ScoreFunction = Callable[[object, Vec], tuple[np.ndarray, np.ndarray]]
SCORE_FUNCTIONS: dict[str, ScoreFunction] = {}
_NAMES = {PercentileScore: "percentile", BandsScore: "bands", MapScore: "map",
          LinearScore: "linear"}


def score_function(name: str):
    """Register a score function under ``name``."""
    def register(function: ScoreFunction) -> ScoreFunction:
        SCORE_FUNCTIONS[name] = function
        return function

    return register


def score_name(score) -> str:
    """The registered name of a score spec (``percentile``, ``bands``, ``map``, ``linear``)."""
    name = _NAMES.get(type(score))
    if name is None or name not in SCORE_FUNCTIONS:
        known = ", ".join(sorted(SCORE_FUNCTIONS))
        raise LookupError(f"unknown score function {type(score).__name__}; known: {known}")
    return name


def item_points(item: AxisItem, values: Vec) -> ItemPoints:
    """An axis item's points for every customer (missing ones included), rounded."""
    points, matched = SCORE_FUNCTIONS[score_name(item.score)](item.score, values)
    points = np.where(values.null, float(item.missing), points)
    matched = np.where(values.null, MISSING, matched)
    return ItemPoints(round_half_away_array(points.astype(np.float64)), matched)


def average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks in ascending order; tied values share the average of their ranks."""
    count = len(values)
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    starts_group = np.ones(count, dtype=bool)
    starts_group[1:] = ordered[1:] != ordered[:-1]
    group = np.cumsum(starts_group) - 1
    first = np.flatnonzero(starts_group)
    last = np.append(first[1:], count)        # 1-based position of each group's last value
    ranks = np.empty(count, dtype=np.float64)
    ranks[order] = ((first + 1 + last) / 2.0)[group]
    return ranks


@score_function("percentile")
def percentile_points(score: PercentileScore, values: Vec):
    points = np.zeros(len(values))
    present = ~values.null
    count = int(present.sum())
    if count == 1:
        points[present] = 10.0
    elif count > 1:
        ranks = average_ranks(values.values[present])
        if score.descending:
            ranks = (count + 1) - ranks
        points[present] = 10.0 * (ranks - 1.0) / (count - 1)
    return points, np.full(len(values), NO_MATCH)


@score_function("bands")
def band_points(score: BandsScore, values: Vec):
    points = np.full(len(values), float(score.otherwise))
    matched = np.full(len(values), NO_MATCH)
    open_ = ~values.null
    for index, band in enumerate(score.bands):
        hit = open_.copy()
        if band.min is not None:
            hit &= values.values >= band.min
        if band.max is not None:
            hit &= values.values <= band.max
        points[hit], matched[hit] = float(band.points), index
        open_ &= ~hit
    return points, matched


@score_function("map")
def map_points(score: MapScore, values: Vec):
    keys = list(score.points)
    position = {key: index for index, key in enumerate(keys)}
    texts = texts_of(values)
    matched = np.array([position.get(t, NO_MATCH) for t in texts.tolist()], dtype=np.int64) \
        if len(texts) else np.zeros(0, dtype=np.int64)
    table = np.array([float(score.points[k]) for k in keys] + [float(score.otherwise)])
    return table[matched], matched


@score_function("linear")
def linear_points(score: LinearScore, values: Vec):
    start, end = float(score.start), float(score.end)
    with np.errstate(all="ignore"):
        share = np.clip((values.values - start) / (end - start), 0.0, 1.0)
    return np.where(values.null, 0.0, 10.0 * share), np.full(len(values), NO_MATCH)
