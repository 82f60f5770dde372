"""Axis scores: ``10 × Σ(wᵢ·pᵢ) / Σw`` over an axis' items, summed in item order and rounded
to 9 decimals (SPEC §3.2, §3.5)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

from engine.definitions.ruleset_specs import Axis, RulesetSpec

from .points import ItemPoints, item_points
from .vectors import Vec, round_half_away_array


@dataclass(frozen=True)
class Scores:
    """Every scored metric's points and every axis' score, per customer."""

    points: Mapping[str, ItemPoints]     # metric id → points
    axes: Mapping[str, np.ndarray]       # axis id → score 0–100


def axis_score(axis: Axis, points: Mapping[str, ItemPoints], size: int) -> np.ndarray:
    """One axis' score from its items' points (missing items included)."""
    weighted, total_weight = np.zeros(size), 0.0
    for item in axis.items:
        weight = float(item.weight)
        weighted = weighted + weight * points[item.metric].points
        total_weight += weight
    return round_half_away_array(10.0 * weighted / total_weight)


def score_axes(spec: RulesetSpec, metrics: Mapping[str, Vec], size: int) -> Scores:
    """Points of every axis item, then every axis' score."""
    points = {item.metric: item_points(item, metrics[item.metric])
              for axis in spec.axes for item in axis.items}
    axes = {axis.id: axis_score(axis, points, size) for axis in spec.axes}
    return Scores(points, axes)
