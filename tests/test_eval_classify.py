"""Quadrant splits, stability margin, split_within and tiers on stored data (SPEC §3.2, §3.5)."""
from __future__ import annotations

from engine.evaluation import evaluate
from tests.eval_support import D, Facts, by_code, install, quadrant, ruleset, segments_by_code

AS_OF = D(2026, 3, 31)
# Axis x scores a customer's beds, y its growth: a linear score from 0 to 100 points times
# 10 gives the value itself as the axis score.
LINEAR_AXES = {
    "x": {"label": "X", "items": [{"metric": "beds", "weight": 1,
                                   "score": {"linear": {"from": 0, "to": 100}}}]},
    "y": {"label": "Y", "items": [{"metric": "growth", "weight": 1,
                                   "score": {"linear": {"from": 0, "to": 100}}}]},
}
METRICS = {"beds": {"field": "beds"}, "growth": {"field": "growth"},
           "region": {"field": "region"}}


def setup(engine, tmp_path, customers, **classification):
    install(engine, tmp_path, ruleset(metrics=METRICS, axes=LINEAR_AXES,
                                      classification=quadrant(**classification)))
    facts = Facts(engine)
    for code, beds, growth, *region in customers:
        facts.customer(code, type="clinic", beds=beds, growth=growth,
                       region=region[0] if region else None)
    return facts


def test_axis_scores_follow_the_fields(engine, tmp_path):
    setup(engine, tmp_path, [("A", 33, 12.5), ("B", 100, 0)])
    result = evaluate(engine, "rs", as_of=AS_OF, dry_run=True)
    assert by_code(result, "x") == {"A": 33.0, "B": 100.0}
    assert by_code(result, "y") == {"A": 12.5, "B": 0.0}


def test_median_split(engine, tmp_path):
    setup(engine, tmp_path, [("A", 10, 10), ("B", 20, 40), ("C", 30, 20), ("D", 40, 30)])
    result = evaluate(engine, "rs", as_of=AS_OF, dry_run=True)
    assert result.splits["x"]["value"] == 25.0 and result.splits["y"]["value"] == 25.0
    assert segments_by_code(result) == {"A": "ll", "B": "lh", "C": "hl", "D": "hh"}


def test_percentile_and_numeric_splits(engine, tmp_path):
    setup(engine, tmp_path, [("A", 10, 10), ("B", 20, 40), ("C", 30, 20), ("D", 40, 30),
                             ("E", 50, 50)], split={"x": "p75", "y": 30})
    result = evaluate(engine, "rs", as_of=AS_OF, dry_run=True)
    assert result.splits["x"]["value"] == 40.0      # pos 3 of 0..4
    assert result.splits["y"] == {"rule": 30, "value": 30.0}
    assert segments_by_code(result) == {"A": "ll", "B": "lh", "C": "ll", "D": "hh", "E": "hh"}


def test_one_split_for_both_axes(engine, tmp_path):
    setup(engine, tmp_path, [("A", 0, 90), ("B", 10, 80), ("C", 20, 10)], split="mean")
    result = evaluate(engine, "rs", as_of=AS_OF, dry_run=True)
    assert result.splits["x"]["value"] == 10.0 and result.splits["y"]["value"] == 60.0
    assert segments_by_code(result) == {"A": "lh", "B": "hh", "C": "hl"}


def test_mean_split_compares_exactly(engine, tmp_path):
    # Scores 0.1, 0.2, 0.3: the double mean 0.20000000000000004 would put B low.
    setup(engine, tmp_path, [("A", 0.1, 1), ("B", 0.2, 1), ("C", 0.3, 1)], split="mean")
    result = evaluate(engine, "rs", as_of=AS_OF, dry_run=True)
    assert by_code(result, "x") == {"A": 0.1, "B": 0.2, "C": 0.3}
    assert segments_by_code(result) == {"A": "lh", "B": "hh", "C": "hh"}


def test_single_customer_is_high_on_both(engine, tmp_path):
    setup(engine, tmp_path, [("A", 5, 5)])
    assert segments_by_code(evaluate(engine, "rs", as_of=AS_OF, dry_run=True)) == {"A": "hh"}


def test_stability_margin_uses_the_previous_stored_run(engine, tmp_path):
    facts = setup(engine, tmp_path, [("A", 49, 0), ("B", 51, 0), ("C", 50, 0)],
                  split={"x": 50, "y": 100}, stability_margin=2)
    first = evaluate(engine, "rs", as_of=AS_OF)
    assert segments_by_code(first) == {"A": "ll", "B": "hl", "C": "hl"}
    # Everyone moves across the split by less than the margin, D is new.
    from sqlalchemy import update

    from engine.models import Customer
    with engine.begin() as connection:
        for code, beds in (("A", 51.5), ("B", 48.5), ("C", 47.9)):
            connection.execute(update(Customer).where(Customer.code == code)
                               .values(profile={"beds": beds, "growth": 0}))
    facts.customer("D", type="clinic", beds=51, growth=0)
    second = evaluate(engine, "rs", as_of=AS_OF, dry_run=True)
    # A was low and needs ≥ 52; B was high and keeps it at ≥ 48; C falls below 48;
    # D has no previous segment and uses the plain rule.
    assert segments_by_code(second) == {"A": "ll", "B": "hl", "C": "ll", "D": "hl"}
    assert second.previous_run_id == first.run_id


def test_split_within_groups(engine, tmp_path):
    setup(engine, tmp_path, [("N1", 10, 10, "north"), ("N2", 20, 20, "north"),
                             ("N3", 90, 30, "north"), ("S1", 60, 40, "south"),
                             ("S2", 70, 50, "south"), ("E1", 1, 60, ""), ("E2", 2, 70)],
                  split={"x": "median", "y": 35}, split_within="region")
    result = evaluate(engine, "rs", as_of=AS_OF, dry_run=True)
    # Medians: north 20, south 65; an empty region (null or '') forms its own group: 1.5.
    assert result.splits["x"]["groups"] == {"": 1.5, "north": 20.0, "south": 65.0}
    # A numeric split ignores groups.
    assert result.splits["y"] == {"rule": 35, "value": 35.0}
    assert segments_by_code(result) == {"N1": "ll", "N2": "hl", "N3": "hl", "S1": "lh",
                                        "S2": "hh", "E1": "lh", "E2": "hh"}


def test_percentile_points_rank_over_all_groups(engine, tmp_path):
    axes = {"x": {"label": "X", "items": [{"metric": "beds", "weight": 1,
                                           "score": "percentile"}]},
            "y": LINEAR_AXES["y"]}
    install(engine, tmp_path, ruleset(metrics=METRICS, axes=axes,
                                      classification=quadrant(split_within="region")))
    facts = Facts(engine)
    for code, beds, region in (("N1", 10, "north"), ("N2", 20, "north"), ("S1", 30, "south")):
        facts.customer(code, type="clinic", beds=beds, growth=1, region=region)
    result = evaluate(engine, "rs", as_of=AS_OF, dry_run=True)
    assert by_code(result, "x") == {"N1": 0.0, "N2": 50.0, "S1": 100.0}


def test_tiers_first_match_wins(engine, tmp_path):
    tiers = {"tiers": [
        {"id": "a", "label": "A", "when": "main >= 70 and beds > 100"},
        {"id": "b", "label": "B", "when": "main >= 40 or grade in ['a']"},
        {"id": "c", "label": "C", "when": "beds is null"},
        {"id": "d", "label": "D"}]}
    metrics = {"beds": {"field": "beds"}, "grade": {"field": "grade"}}
    axes = {"main": {"label": "M", "items": [{"metric": "beds", "weight": 1,
                                              "score": {"linear": {"from": 0, "to": 200}}}]}}
    install(engine, tmp_path, ruleset(metrics=metrics, axes=axes, classification=tiers))
    facts = Facts(engine)
    for code, profile in (("P1", {"beds": 150}), ("P2", {"beds": 90}),
                          ("P3", {"beds": 10, "grade": "a"}), ("P4", {}),
                          ("P5", {"beds": 10, "grade": "b"}), ("P6", {"beds": 200})):
        facts.customer(code, type="clinic", **profile)
    result = evaluate(engine, "rs", as_of=AS_OF, dry_run=True)
    assert segments_by_code(result) == {"P1": "a", "P2": "b", "P3": "b", "P4": "c",
                                        "P5": "d", "P6": "a"}
    assert result.splits == {}
