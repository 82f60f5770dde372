"""Structured edits of a definition's text (``engine.definitions.ruleset_edit``): comments and
untouched lines stay byte for byte; a change that does not fit is refused and changes nothing."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.definitions.ruleset_edit import (Append, EditError, Move, Remove, SetValue,
                                             apply_changes)
from engine.definitions.yamlsafe import parse_text

PACK_RULESET = Path("/work/shared/examples/pharma-pack/rules/value_potential.yaml")
TEXT = """\
kind: ruleset   # the kind
id: demo
title: {zh: 演示, en: Demo}
applies_to: [hospital]
window: {months: 12}            # aligned comment
schedule: "0 2 1 * *"
metrics:
  revenue:      {aggregate: sum, of: orders.amount}
  beds:         {field: beds}
axes:
  value:
    label: {zh: 价值, en: Value}
    items:
      # the biggest item
      - {metric: revenue, weight: 3, score: percentile}
      - metric: beds
        weight: 1
        score: {bands: [{min: 800, points: 10}, {min: 200, points: 5}], else: 1}
classification:
  tiers:
    - {id: key, label: {zh: 重点, en: Key}, color: "#d1495b", when: value >= 50}
    - {id: other, label: {zh: 其他, en: Other}, color: "#8d99ae"}
"""
BANDS = ("axes", "value", "items", 1, "score", "bands")


def _data(text: str) -> dict:
    parsed = parse_text(text, "rules/demo.yaml")
    assert not parsed.problems
    return parsed.content


def _changed_lines(old: str, new: str) -> list[str]:
    return [line for line in new.splitlines() if line not in old.splitlines()]


def test_no_change_and_an_equal_value_keep_the_text_identical():
    assert apply_changes(TEXT, []) == TEXT
    assert apply_changes(TEXT, [SetValue(("window", "months"), 12)]) == TEXT
    assert apply_changes(TEXT, [SetValue(BANDS + (0,), {"min": 800, "points": 10})]) == TEXT


def test_setting_a_value_changes_only_its_line_and_keeps_every_comment():
    new = apply_changes(TEXT, [SetValue(BANDS + (1, "min"), 300)])
    assert _data(new)["axes"]["value"]["items"][1]["score"]["bands"][1] == {"min": 300,
                                                                           "points": 5}
    assert _changed_lines(TEXT, new) == [
        "        score: {bands: [{min: 800, points: 10}, {min: 300, points: 5}], else: 1}"]
    for comment in ("# the kind", "# aligned comment", "# the biggest item"):
        assert comment in new
    assert "revenue:      {aggregate" in new, "alignment of untouched lines is kept"


def test_a_band_is_moved_and_a_row_replaced_whole():
    moved = apply_changes(TEXT, [Move(BANDS, 0, 1)])
    assert [b["min"] for b in _data(moved)["axes"]["value"]["items"][1]["score"]["bands"]] \
        == [200, 800]
    row = apply_changes(TEXT, [SetValue(BANDS + (0,), {"min": 600, "max": 900, "points": 9})])
    assert "{min: 600, max: 900, points: 9}" in row


def test_append_and_remove_entries():
    added = apply_changes(TEXT, [Append(BANDS, {"min": 0, "points": 2})])
    assert _data(added)["axes"]["value"]["items"][1]["score"]["bands"][-1] == {"min": 0,
                                                                              "points": 2}
    removed = apply_changes(TEXT, [Remove(("axes", "value", "items", 1))])
    assert len(_data(removed)["axes"]["value"]["items"]) == 1
    assert "# the biggest item" in removed
    item = apply_changes(TEXT, [Append(("axes", "value", "items"),
                                       {"metric": "beds", "weight": 2, "score": "percentile"})])
    assert "      - {metric: beds, weight: 2, score: percentile}" in item


def test_a_missing_key_is_made_and_none_removes_it():
    margin = apply_changes(TEXT, [SetValue(("classification", "stability_margin"), 2)])
    assert _data(margin)["classification"]["stability_margin"] == 2
    assert apply_changes(margin, [SetValue(("classification", "stability_margin"), None)]) \
        == TEXT
    label = apply_changes(TEXT, [SetValue(("classification", "tiers", 0, "label", "en"),
                                          "Key: <b>'x'</b>")])
    assert _data(label)["classification"]["tiers"][0]["label"]["en"] == "Key: <b>'x'</b>"


def test_the_pack_ruleset_keeps_all_but_the_edited_line():
    text = PACK_RULESET.read_text()
    path = ("axes", "value", "items", 2, "score", "bands", 1, "max")
    new = apply_changes(text, [SetValue(path, 45)])
    assert len(_changed_lines(text, new)) == 1
    assert len(new.splitlines()) == len(text.splitlines())
    assert text.count("#") == new.count("#")


@pytest.mark.parametrize("change, where, message", [
    (SetValue(("axes", "nope", "items", 0, "weight"), 2), "$.axes.nope", "does not exist"),
    (Move(BANDS, 0, 5), "$.axes.value.items[1].score.bands[5]", "there is no entry 5"),
    (Remove(("metrics", "profit")), "$.metrics.profit", "does not exist"),
    (Append(("window",), 1), "$.window", "is not a list"),
    (SetValue((), 1), "$", "cannot be replaced"),
])
def test_a_change_that_does_not_fit_is_refused_with_its_place(change, where, message):
    with pytest.raises(EditError) as caught:
        apply_changes(TEXT, [SetValue(("window", "months"), 6), change])
    problem = caught.value.problems[0]
    assert problem.path == where and message in problem.message


def test_text_that_is_not_yaml_is_refused():
    with pytest.raises(EditError, match="not valid YAML"):
        apply_changes("a: [1,\n", [SetValue(("a",), 2)])


def test_json_sources_are_edited_as_json():
    text = json.dumps({"kind": "ruleset", "window": {"months": 12}}, indent=2) + "\n"
    new = apply_changes(text, [SetValue(("window", "months"), 6)], "json")
    assert json.loads(new)["window"]["months"] == 6


def test_texts_that_yaml_would_read_as_something_else_are_quoted():
    new = apply_changes(TEXT, [SetValue(("axes", "value", "items", 1, "score"),
                                        {"map": {"yes": 10, "1": 5, "plain": 2}, "else": 0})])
    assert "{map: {'yes': 10, '1': 5, plain: 2}, else: 0}" in new
    assert _data(new)["axes"]["value"]["items"][1]["score"]["map"] == {"yes": 10, "1": 5,
                                                                      "plain": 2}
