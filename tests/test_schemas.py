"""The definition schemas: valid themselves, accept the default pack, reject mistakes clearly."""
from __future__ import annotations

import copy
from functools import cache
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from engine.errors import NotFound
from engine.schemas import KINDS, SCHEMA_NAMES, schema_for, validator_for

ROOT = Path(__file__).parent.parent
DEFAULT_PACK = {
    "pack": "pack.yaml",
    "form": "forms/hospital.yaml",
    "ruleset": "rules/value_potential.yaml",
    "workflow": "workflows/quadrant_followup.yaml",
}
SHARED_DEFS = ("id", "text", "expression", "color")
DELETE = object()

TIERS_RULESET = """
kind: ruleset
id: value_tiers
title: {zh: 价值分层, en: Value tiers}
applies_to: [hospital, pharmacy]
window: {months: 6}
metrics:
  revenue: {aggregate: sum, of: orders.amount}
  visits: {aggregate: count, of: visits, where: "visits.channel in ['face_to_face', 'phone']"}
axes:
  value:
    label: Value
    items:
      - {metric: revenue, weight: 2, score: {percentile: desc}, missing: 0}
      - {metric: visits, weight: 1, score: {map: {'0': 0, '1': 5}, else: 10}}
classification:
  tiers:
    - {id: a, label: {zh: A类, en: A}, color: "#112233", when: "value >= 60"}
    - {id: b, label: B, when: "value >= 30 or revenue > 100000"}
    - {id: c, label: C}
"""


@cache
def _load_default(kind: str) -> dict:
    return yaml.safe_load((ROOT / DEFAULT_PACK[kind]).read_text(encoding="utf-8"))


def _errors(kind: str, document: dict) -> list[str]:
    return [f"{e.json_path}: {e.message}" for e in validator_for(kind).iter_errors(document)]


def _with(kind: str, path: tuple, value: object = DELETE) -> dict:
    """A copy of the default ``kind`` document with ``value`` put at ``path`` (or that key removed)."""
    document = copy.deepcopy(_load_default(kind))
    *parents, last = path
    target = document
    for step in parents:
        target = target[step]
    if value is DELETE:
        del target[last]
    else:
        target[last] = value
    return document


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_schema_is_valid_draft_2020_12(name):
    Draft202012Validator.check_schema(schema_for(name))


@pytest.mark.parametrize("name", ("ruleset", "workflow", "pack"))
def test_shared_defs_do_not_drift(name):
    """Each schema file stands alone, so the pieces they share are copies that must stay equal."""
    reference = schema_for("form")["$defs"]
    defs = schema_for(name)["$defs"]
    shared = [key for key in SHARED_DEFS if key in defs]
    assert shared, "the schema shares nothing"
    assert {key: defs[key] for key in shared} == {key: reference[key] for key in shared}


def test_kinds_and_caching():
    assert KINDS == ("form", "ruleset", "workflow")
    assert validator_for("ruleset") is validator_for("ruleset")
    schema = schema_for("form")
    schema["required"].append("nonsense")
    assert "nonsense" not in schema_for("form")["required"]


def test_unknown_kind_names_a_close_one():
    with pytest.raises(NotFound, match="did you mean 'ruleset'"):
        schema_for("rulesets")


@pytest.mark.parametrize("kind", DEFAULT_PACK)
def test_default_pack_validates(kind):
    assert _errors(kind, _load_default(kind)) == []


def test_tiers_ruleset_validates():
    assert _errors("ruleset", yaml.safe_load(TIERS_RULESET)) == []


def test_every_problem_is_reported():
    document = _with("ruleset", ("title",))
    document["window"] = {"months": 0}
    document["axes"]["value"]["items"][0]["weight"] = "35"
    assert sorted(_errors("ruleset", document)) == [
        "$.axes.value.items[0].weight: '35' is not of type 'number'",
        "$.window.months: 0 is less than the minimum of 1",
        "$: 'title' is a required property",
    ]


BANDS = ("axes", "value", "items", 1, "score")
SCORE = ("axes", "value", "items", 0, "score")
SPLIT = ("classification", "quadrant", "split")
STAR = ("classification", "segments", "star")
VISIT = ("tasks", "weekly_visit")

BROKEN = [
    # kind, path, value (DELETE removes the key), expected JSON path, expected message
    pytest.param("ruleset", ("title",), DELETE, "$", "'title' is a required property", id="missing-title"),
    pytest.param("workflow", ("kind",), "ruleset", "$.kind", "'workflow' was expected", id="wrong-kind"),
    pytest.param(
        "form", ("id",), "Hospital", "$.id", "'Hospital' does not match '^[a-z][a-z0-9_]*$'", id="bad-id",
    ),
    pytest.param(
        "ruleset", ("metrics", "revenue", "filter"), "orders.amount > 0", "$.metrics.revenue",
        "Additional properties are not allowed ('filter' was unexpected)", id="unknown-key-in-metric",
    ),
    pytest.param(
        "ruleset", ("metrics", "revenue"), {"agregate": "sum", "of": "orders.amount"}, "$.metrics.revenue",
        "'agregate' is not one of ['aggregate', 'formula', 'field']", id="misspelled-metric-kind",
    ),
    pytest.param(
        "ruleset", ("metrics", "aov", "field"), "beds", "$.metrics.aov",
        "Additional properties are not allowed ('field' was unexpected)", id="two-metric-kinds",
    ),
    pytest.param(
        "ruleset", ("metrics", "revenue", "aggregate"), "total", "$.metrics.revenue.aggregate",
        "'total' is not one of ['sum', 'count', 'count_distinct', 'avg', 'min', 'max']",
        id="unknown-aggregate",
    ),
    pytest.param(
        "ruleset", ("metrics", "revenue_prev", "window", "offset_months"), -1,
        "$.metrics.revenue_prev.window.offset_months", "-1 is less than the minimum of 0",
        id="negative-offset",
    ),
    pytest.param(
        "ruleset", ("metrics", "Profit"), {"formula": "revenue"}, "$.metrics",
        "'Profit' does not match '^[a-z][a-z0-9_]*$'", id="bad-metric-id",
    ),
    pytest.param(
        "ruleset", (*BANDS, "bands", 0, "pts"), 3, "$.axes.value.items[1].score.bands[0]",
        "Additional properties are not allowed ('pts' was unexpected)", id="unknown-key-in-band",
    ),
    pytest.param(
        "ruleset", (*BANDS, "bands", 0, "points"), 11, "$.axes.value.items[1].score.bands[0].points",
        "11 is greater than the maximum of 10", id="points-above-10",
    ),
    pytest.param(
        "ruleset", SCORE, "percentil", "$.axes.value.items[0].score",
        "'percentil' is not one of ['percentile']", id="misspelled-score-name",
    ),
    pytest.param(
        "ruleset", SCORE, {"band": [{"min": 1, "points": 5}]}, "$.axes.value.items[0].score",
        "'band' is not one of ['percentile', 'bands', 'map', 'linear']", id="misspelled-score-kind",
    ),
    pytest.param(
        "ruleset", SCORE, {"percentile": "up"}, "$.axes.value.items[0].score.percentile",
        "'up' is not one of ['asc', 'desc']", id="bad-percentile-order",
    ),
    pytest.param(
        "ruleset", ("axes", "value", "items", 4, "score", "else"), 2, "$.axes.value.items[4].score",
        "Additional properties are not allowed ('else' was unexpected)", id="else-on-linear",
    ),
    pytest.param(
        "ruleset", ("axes", "potential", "items", 1, "score", "map", 1), 5,
        "$.axes.potential.items[1].score.map", "1 is not of type 'string'", id="non-string-map-key",
    ),
    pytest.param(
        "ruleset", ("axes", "value", "items", 0, "weight"), "35", "$.axes.value.items[0].weight",
        "'35' is not of type 'number'", id="string-weight",
    ),
    pytest.param(
        "ruleset", ("axes", "value", "items", 0, "weight"), 0, "$.axes.value.items[0].weight",
        "0 is less than or equal to the minimum of 0", id="zero-weight",
    ),
    pytest.param(
        "ruleset", ("axes", "value", "label"), {"english": "Value"}, "$.axes.value.label",
        "'english' does not match '^[a-z]{2}(_[A-Z]{2})?$'", id="bad-locale",
    ),
    pytest.param(
        "ruleset", ("axes", "value", "label"), {"zh": "价值", "当前": "贡献"}, "$.axes.value.label['当前']",
        "'贡献' is not of type 'null'", id="text-fragment-with-a-value",
    ),
    pytest.param("ruleset", ("applies_to",), [], "$.applies_to", "[] should be non-empty", id="empty-scope"),
    pytest.param("ruleset", ("window",), DELETE, "$", "'window' is a required property", id="missing-window"),
    pytest.param(
        "ruleset", ("schedule",), "0 2 1", "$.schedule",
        r"'0 2 1' does not match '^\\s*\\S+(\\s+\\S+){4}\\s*$'", id="short-cron",
    ),
    pytest.param(
        "ruleset", SPLIT, "medium", "$.classification.quadrant.split",
        "'medium' is not one of ['median', 'mean']", id="misspelled-split",
    ),
    pytest.param(
        "ruleset", SPLIT, {"value": "p101"}, "$.classification.quadrant.split.value",
        r"'p101' does not match '^p(100(\\.0+)?|[0-9]{1,2}(\\.[0-9]+)?)$'", id="percentile-split-above-100",
    ),
    pytest.param(
        "ruleset", (*STAR, "value"), "hi", "$.classification.segments.star.value",
        "'hi' is not one of ['high', 'low']", id="bad-segment-side",
    ),
    pytest.param(
        "ruleset", (*STAR, "color"), "red", "$.classification.segments.star.color",
        "'red' does not match '^#[0-9a-fA-F]{6}$'", id="bad-color",
    ),
    pytest.param(
        "ruleset", ("classification", "segments", "unclassified"),
        {"value": "low", "potential": "low", "label": "?", "color": "#000000"}, "$.classification.segments",
        "'unclassified' does not match '^(?!unclassified$)[a-z][a-z0-9_]*$'", id="reserved-segment",
    ),
    pytest.param(
        "ruleset", ("classification", "tiers"), [{"id": "a", "label": "A"}, {"id": "b", "label": "B"}],
        "$.classification", "Additional properties are not allowed ('tiers' was unexpected)",
        id="quadrant-and-tiers",
    ),
    pytest.param(
        "ruleset", ("classification",), {"tier": [{"id": "a", "label": "A"}]}, "$.classification",
        "'tier' is not one of ['quadrant', 'tiers', 'segments', 'stability_margin', 'split_within']",
        id="misspelled-classification",
    ),
    pytest.param(
        "ruleset", ("classification",),
        {"tiers": [{"id": "a", "label": "A", "when": "value > 1"}, {"id": "b"}]},
        "$.classification.tiers[1]", "'label' is a required property", id="tier-without-label",
    ),
    pytest.param(
        "ruleset", ("classification", "stability_margin"), -1, "$.classification.stability_margin",
        "-1 is less than the minimum of 0", id="negative-margin",
    ),
    pytest.param(
        "workflow", (*VISIT, "due_in_days"), 3, "$.tasks.weekly_visit",
        "Additional properties are not allowed ('due_in_days' was unexpected)", id="due-and-every",
    ),
    pytest.param(
        "workflow", (*VISIT, "every_days"), DELETE, "$.tasks.weekly_visit",
        "'due_in_days' is a required property", id="neither-due-nor-every",
    ),
    pytest.param(
        "workflow", (*VISIT, "every_days"), 0, "$.tasks.weekly_visit.every_days",
        "0 is less than the minimum of 1", id="every-zero-days",
    ),
    pytest.param(
        "workflow", (*VISIT, "assignee", "role"), "boss", "$.tasks.weekly_visit.assignee.role",
        "'boss' is not one of ['admin', 'manager', 'rep', 'staff']", id="unknown-role",
    ),
    pytest.param(
        "workflow", (*VISIT, "assignee", "teem"), "sales", "$.tasks.weekly_visit.assignee",
        "Additional properties are not allowed ('teem' was unexpected)", id="unknown-assignee-key",
    ),
    pytest.param(
        "workflow", ("on_transition", 0, "to"), "Dog", "$.on_transition[0].to",
        r"'Dog' does not match '^(\\*|[a-z][a-z0-9_]*)$'", id="bad-transition-target",
    ),
    pytest.param(
        "workflow", ("on_transition", 0, "tasks"), [], "$.on_transition[0].tasks", "[] should be non-empty",
        id="transition-without-tasks",
    ),
    pytest.param(
        "form", ("fields", 0, "options"), DELETE, "$.fields[0]", "'options' is a required property",
        id="select-without-options",
    ),
    pytest.param(
        "form", ("fields", 0, "type"), "choice", "$.fields[0].type",
        "'choice' is not one of ['text', 'textarea', 'integer', 'number', 'boolean', 'date', 'select', "
        "'multiselect', 'email', 'phone', 'url']",
        id="unknown-field-type",
    ),
    pytest.param(
        "form", ("fields", 1, "default"), "many", "$.fields[1].default", "'many' is not of type 'integer'",
        id="default-of-wrong-type",
    ),
    pytest.param(
        "form", ("fields", 1, "pattern"), "[0-", "$.fields[1].pattern", "'[0-' is not a 'regex'",
        id="bad-pattern",
    ),
    pytest.param(
        "form", ("fields", 0, "options", 0, "value"), True, "$.fields[0].options[0].value",
        "True is not of type 'string', 'number'", id="yaml-boolean-option",
    ),
    pytest.param(
        "pack", ("version",), 1.0, "$.version", "1.0 is not of type 'string'", id="unquoted-version",
    ),
]


@pytest.mark.parametrize(("kind", "path", "value", "json_path", "message"), BROKEN)
def test_mistake_is_reported_clearly(kind, path, value, json_path, message):
    error = best_match(validator_for(kind).iter_errors(_with(kind, path, value)))
    assert error is not None, "the mistake was accepted"
    assert (error.json_path, error.message) == (json_path, message)
