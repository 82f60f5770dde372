"""``describe_changes``: what changed between two versions of a definition, in words."""
from __future__ import annotations

from engine.definitions.changes import describe_changes

BANDS = {"bands": [{"min": 10, "points": 10}, {"min": 6, "points": 7}], "else": 0}


def ruleset(weight=2, bands=BANDS, metrics=("beds",)) -> dict:
    return {"metrics": {m: {"field": m} for m in metrics},
            "axes": {"value": {"items": [{"metric": "beds", "weight": weight,
                                          "score": bands}]}}}


def test_weights_bands_and_metrics_in_words():
    moved = {"bands": [{"min": 10, "points": 10}, {"min": 5, "points": 7}], "else": 0}
    assert describe_changes(ruleset(), ruleset(3, moved, ("beds", "plan"))) == [
        "metric plan added", "weight of beds 2 → 3", "band of beds ≥ 6 → ≥ 5"]


def test_unchanged_is_silent():
    assert describe_changes(ruleset(), ruleset()) == []


def test_records_whose_names_repeat_are_compared_by_position():
    """Two items of one metric (invalid, but a draft may hold it) cannot be told apart by
    name: compared by position, the second item became b's, and a's first item is unchanged
    (by name, it would read as "a's weight 2 → 1")."""
    old = {"items": [{"metric": "a", "weight": 1}, {"metric": "a", "weight": 2}]}
    new = {"items": [{"metric": "a", "weight": 1}, {"metric": "b", "weight": 2}]}
    assert describe_changes(old, new) == [
        'items.1 {"metric": "a", "weight": 2} → {"metric": "b", "weight": 2}']
