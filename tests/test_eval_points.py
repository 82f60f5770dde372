"""Score functions, axis scores and splits on hand-computed inputs (SPEC §3.2, §3.5)."""
from __future__ import annotations

import numpy as np
import pytest

from engine.definitions.ruleset_specs import (Axis, AxisItem, Band, BandsScore, LinearScore,
                                              MapScore, PercentileScore)
from engine.definitions.specs import LocalText, frozen_map
from engine.evaluation.classify import (HIGH, LOW, NONE, mean_split, quantile, split_rule,
                                        threshold_split)
from engine.evaluation.points import MISSING, NO_MATCH, average_ranks, item_points
from engine.evaluation.scoring import axis_score
from engine.evaluation.vectors import Vec, number_text, round_half_away_array, value_text
from engine.expr import round_half_away
from tests.eval_support import D


def numbers(*values):
    return Vec.from_python("number", values)


def points(score, vec, missing=0):
    result = item_points(AxisItem("m", 1, score, missing), vec)
    return result.points.tolist(), result.matched.tolist()


def test_average_ranks_share_ties():
    assert average_ranks(np.array([30.0, 10.0, 20.0, 20.0])).tolist() == [4, 1, 2.5, 2.5]
    assert average_ranks(np.array([5.0, 5.0, 5.0])).tolist() == [2, 2, 2]
    assert average_ranks(np.array([-0.0, 0.0])).tolist() == [1.5, 1.5]


def test_percentile_with_ties_and_nulls():
    got, _ = points(PercentileScore(), numbers(30, 10, None, 20, 20), missing=4)
    # n = 4 non-null values; ranks 4, 1, 2.5, 2.5 → 10·(r−1)/3
    assert got == [10.0, 0.0, 4.0, 5.0, 5.0]


def test_percentile_descending():
    got, _ = points(PercentileScore(descending=True), numbers(30, 10, 20, 20))
    assert got == [0.0, 10.0, 5.0, 5.0]


def test_percentile_rounds_to_nine_decimals():
    got, _ = points(PercentileScore(), numbers(1, 2, 3, 4))
    assert got == [0.0, 3.333333333, 6.666666667, 10.0]


def test_percentile_single_customer_and_all_null():
    assert points(PercentileScore(), numbers(42))[0] == [10.0]
    assert points(PercentileScore(), numbers(None, None), missing=3)[0] == [3.0, 3.0]
    assert points(PercentileScore(descending=True), numbers(7, 7))[0] == [5.0, 5.0]


def test_bands_first_match_wins_bounds_inclusive():
    score = BandsScore((Band(10, None, 10), Band(5, 9.5, 6), Band(None, 0, 1)), otherwise=3)
    got, matched = points(score, numbers(10, 9.5, 9.75, 5, -1, 0, None), missing=2)
    assert got == [10.0, 6.0, 3.0, 6.0, 1.0, 1.0, 2.0]
    assert matched == [0, 1, NO_MATCH, 1, 2, 2, MISSING]


def test_bands_else_defaults_to_zero():
    got, _ = points(BandsScore((Band(1, 2, 10),)), numbers(3))
    assert got == [0.0]


def test_map_matches_the_value_text():
    score = MapScore(frozen_map({"1.5": 10, "2": 7, "1.50": 1, "true": 9, "-3": 2}), otherwise=4)
    got, _ = points(score, numbers(1.5, 2.0, 2, 2.5, -3.0, None), missing=0)
    assert got == [10.0, 7.0, 7.0, 4.0, 2.0, 0.0]        # '1.50' matches nothing


def test_map_on_text_booleans_and_dates():
    score = MapScore(frozen_map({"true": 10, "false": 2, "a": 8, "2024-02-29": 6}))
    assert points(score, Vec.from_python("boolean", [True, False, None]), 1)[0] == \
        [10.0, 2.0, 1.0]
    assert points(score, Vec.from_python("text", ["a", "A", "true"]))[0] == [8.0, 0.0, 10.0]
    assert points(score, Vec.from_python("date", [D(2024, 2, 29), D(2024, 3, 1)]))[0] == \
        [6.0, 0.0]


def test_linear_clamps_and_may_fall():
    got, _ = points(LinearScore(0, 0.3), numbers(-1, 0, 0.1, 0.3, 5))
    assert got == [0.0, 0.0, 3.333333333, 10.0, 10.0]
    got, _ = points(LinearScore(180, 0), numbers(0, 45, 180, 400))
    assert got == [10.0, 7.5, 0.0, 0.0]


def test_axis_score_weights_items_in_order():
    items = (AxisItem("a", 35, PercentileScore()), AxisItem("b", 20, PercentileScore()),
             AxisItem("c", 0.5, PercentileScore()))
    axis = Axis("v", LocalText.of("v"), items)
    from engine.evaluation.points import ItemPoints
    given = {"a": [10.0, 0.0], "b": [5.0, 3.333333333], "c": [1.0, 10.0]}
    pts = {m: ItemPoints(np.array(v), np.zeros(2)) for m, v in given.items()}
    expected = [round_half_away(10 * (35 * 10.0 + 20 * 5.0 + 0.5 * 1.0) / 55.5, 9),
                round_half_away(10 * (0.0 + 20 * 3.333333333 + 0.5 * 10.0) / 55.5, 9)]
    assert axis_score(axis, pts, 2).tolist() == expected


@pytest.mark.parametrize("value", [0.0, 1e-10, 5e-10, -5e-10, 1.0000000005, 2.675, 1 / 3,
                                   -1 / 3, 99.9999999995, 123456.1234567895, 2.0**52, 1e300])
def test_vector_rounding_matches_the_scalar_one(value):
    assert round_half_away_array(np.array([value]))[0] == round_half_away(value, 9)


@pytest.mark.parametrize("value, text", [(1.0, "1"), (1.5, "1.5"), (-0.0, "0"), (0.1 + 0.2,
                         "0.30000000000000004"), (1e16, "1e+16"), (2.5e-07, "2.5e-07"),
                         (100.0, "100"), (-3.0, "-3")])
def test_number_text(value, text):
    assert number_text(value) == text


def test_value_text():
    assert [value_text(v) for v in (True, False, None, "x", D(2026, 3, 1), 7)] == \
        ["true", "false", None, "x", "2026-03-01", "7"]


# --- splits -------------------------------------------------------------------------------

def test_quantile_interpolates():
    scores = np.array([40.0, 10.0, 30.0, 20.0])
    assert quantile(0.5, scores) == 25.0             # pos 1.5 between 20 and 30
    assert quantile(0.25, scores) == 17.5            # pos 0.75
    assert quantile(0.0, scores) == 10.0 and quantile(1.0, scores) == 40.0
    assert quantile(0.5, np.array([7.0])) == 7.0
    assert quantile(0.5, np.array([])) is None
    # A tie gives exactly the tied value, whatever the fraction.
    assert quantile(0.4, np.array([0.1, 0.1, 0.1, 0.1, 9.0])) == 0.1


def test_split_rules_by_name():
    scores, nobody = np.array([10.0, 20.0, 30.0, 40.0, 50.0]), np.full(5, NONE)
    assert split_rule("median")(scores, nobody, 0).value == 30.0
    assert split_rule("p50")(scores, nobody, 0).value == 30.0
    assert split_rule("p12.5")(scores, nobody, 0).value == 15.0
    assert split_rule(35)(scores, nobody, 0).high.tolist() == [False, False, False, True, True]
    with pytest.raises(ValueError, match="unknown split 'average'"):
        split_rule("average")


def test_a_score_equal_to_the_split_is_high():
    result = threshold_split(20.0, np.array([19.999999999, 20.0, 20.000000001]),
                             np.full(3, NONE), 0)
    assert result.high.tolist() == [False, True, True]
    assert result.on_split.tolist() == [False, True, False]


def test_mean_split_is_exact():
    # In doubles (0.1 + 0.2 + 0.3) / 3 is 0.20000000000000004, which would put 0.2 below
    # the mean; in integer units of 10⁻⁹, 3 × 200000000 = 600000000 exactly.
    result = mean_split(np.array([0.1, 0.2, 0.3]), np.full(3, NONE), 0)
    assert result.high.tolist() == [False, True, True]
    assert result.on_split.tolist() == [False, True, False]


def test_stability_margin_keeps_the_previous_side():
    scores = np.array([48.0, 48.0, 52.0, 52.0, 53.0, 47.0])
    previous = np.array([HIGH, LOW, HIGH, LOW, LOW, NONE])
    result = threshold_split(50.0, scores, previous, 2.5)
    # high stays high while ≥ 47.5; low becomes high only at ≥ 52.5; no previous: plain.
    assert result.high.tolist() == [True, False, True, False, True, False]


def test_mean_split_with_margin():
    scores = np.array([10.0, 20.0, 30.0])      # mean 20
    result = mean_split(scores, np.array([HIGH, LOW, LOW]), 10.0)
    # previous high: 3s ≥ 60 − 30 → 10 stays high; previous low: 3s ≥ 60 + 30 → 30 is high.
    assert result.high.tolist() == [True, False, True]
