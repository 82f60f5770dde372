"""``kamflow evaluate``, ``scores export`` and ``scores explain`` as a user runs them."""
from __future__ import annotations

import json

import pytest

from engine.evaluation import evaluate, explain, explain_result
from tests.eval_support import TWO_TIERS, D, Facts, install, quadrant, ruleset

AS_OF = D(2026, 3, 31)
METRICS = {"revenue": {"aggregate": "sum", "of": "orders.amount"},
           "last": {"aggregate": "max", "of": "orders.date"},
           "certified": {"field": "certified"}, "grade": {"field": "grade"},
           "share": {"formula": "revenue / 3"}}
AXES = {"main": {"label": "Main", "items": [
    {"metric": "revenue", "weight": 1, "score": "percentile"},
    {"metric": "certified", "weight": 1, "score": {"map": {"true": 10}}, "missing": 2}]}}


@pytest.fixture
def world(engine, tmp_path):
    install(engine, tmp_path, ruleset(metrics=METRICS, axes=AXES, classification=TWO_TIERS))
    facts = Facts(engine)
    facts.customer("B2", type="clinic", certified=True, grade="a")
    facts.customer("A1", type="clinic", certified=False)
    facts.customer("a0", type="clinic", grade="b")
    facts.customer("中1", type="clinic")
    facts.customer("X", type="clinic", status="inactive")
    facts.order("B2", D(2026, 1, 2), "10.50")
    facts.order("a0", D(2026, 2, 1), "0.10")
    facts.order("a0", D(2026, 2, 3), "0.20")
    facts.order("中1", D(2025, 12, 31), 1000000)
    return facts


# revenue percentile: A1 0 → 0, a0 0.3 → 3.333333333, B2 10.5 → 6.666666667, 中1 → 10
# certified: B2 true → 10, A1 false → else 0, a0 and 中1 null → missing 2
# main = 10 × (p₁ + p₂) / 2
CSV = (
    "customer_code,segment,effective_segment,main,revenue,revenue_points,last,certified,"
    "certified_points,grade,share\r\n"
    "A1,low,low,0,0,0,,false,0,,0\r\n"
    "B2,high,high,83.333333335,10.5,6.666666667,2026-01-02,true,10,a,3.5\r\n"
    "a0,low,low,26.666666665,0.3,3.333333333,2026-02-03,,2,b,0.1\r\n"
    "中1,high,high,60,1000000,10,2025-12-31,,2,,333333.333333333\r\n")


def test_export_csv_exact_text(run, world):
    assert run("evaluate", "rs", "--as-of", "2026-03-31").exit_code == 0
    result = run("scores", "export")
    assert result.exit_code == 0
    assert result.stdout_bytes.decode("utf-8") == CSV      # RFC 4180: CRLF line ends


def test_export_json_to_a_file(run, world, tmp_path):
    run("evaluate", "--as-of", "2026-03-31")
    out = tmp_path / "scores.json"
    result = run("scores", "export", "--ruleset", "rs", "--format", "json", "-o", out)
    assert result.exit_code == 0
    text = out.read_text(encoding="utf-8")
    assert text.splitlines()[2] == (
        '  {"customer_code": "B2", "segment": "high", "effective_segment": "high", '
        '"main": 83.333333335, "revenue": 10.5, "revenue_points": 6.666666667, '
        '"last": "2026-01-02", "certified": true, "certified_points": 10, "grade": "a", '
        '"share": 3.5},')
    rows = json.loads(text)
    assert [r["customer_code"] for r in rows] == ["A1", "B2", "a0", "中1"]
    assert rows[0]["last"] is None and rows[3]["main"] == 60
    assert list(rows[0]) == CSV.splitlines()[0].split(",")


def test_export_a_given_run(run, world, engine):
    first = evaluate(engine, "rs", as_of=D(2025, 12, 31))
    evaluate(engine, "rs", as_of=AS_OF)
    result = run("scores", "export", "--run", first.run_id)
    # Nobody has revenue before 2025-12-31: all tie at rank 2.5 of 4 → 5 points.
    assert result.output.splitlines()[4] == "中1,low,low,35,0,5,,,2,,0"
    assert run("scores", "export").stdout_bytes.decode() == CSV


def test_export_errors(run, world, engine):
    missing = run("scores", "export")
    assert missing.exit_code == 1
    assert "error: no stored run of ruleset 'rs'" in missing.output
    assert run("scores", "export", "--run", 99).exit_code == 1
    evaluate(engine, "rs", as_of=AS_OF)
    wrong = run("scores", "export", "--run", 1, "--ruleset", "other")
    assert wrong.exit_code == 1 and "run 1 evaluated ruleset 'rs', not 'other'" in wrong.output
    assert run("scores", "export", "--format", "xml").exit_code == 2


def test_evaluate_prints_counts_migration_and_warnings(run, world):
    first = run("evaluate", "rs", "--as-of", "2026-03-31")
    assert first.exit_code == 0
    lines = first.output.splitlines()
    assert lines[0].startswith("ruleset rs version 1 as of 2026-03-31: 4 customers in scope, "
                               "stored as run 1 (")
    assert lines[2:5] == ["segment  customers  effective", "high             2          2",
                          "low              2          2"]
    assert lines[6:9] == ["migration from no previous run (rows: from, columns: to)",
                          "from \\ to     high  low", "unclassified     2    2"]
    assert "  - metric 'last' is null for 1 of 4 customers" not in lines
    assert "  - metric 'grade' is null for 2 of 4 customers" not in lines
    dry = run("evaluate", "--as-of", "2026-04-30", "--dry-run")
    assert dry.exit_code == 0
    assert "dry run, nothing stored" in dry.output
    assert "migration from run 1 (rows: from, columns: to)" in dry.output
    assert run("scores", "export").stdout_bytes.decode() == CSV   # the dry run stored nothing


def test_evaluate_warnings_are_printed(run, engine, tmp_path):
    install(engine, tmp_path, ruleset(metrics={"beds": {"field": "beds"}},
                                      axes={"main": {"label": "M", "items": [
                                          {"metric": "beds", "weight": 1,
                                           "score": "percentile"}]}}))
    Facts(engine).customer("C1", type="clinic")
    output = run("evaluate", "--as-of", "2026-03-31").output
    assert output.splitlines()[-4:] == ["warnings:",
                                        "  - metric 'beds' is null for 1 of 1 customers",
                                        "  - segment 'high' has no customers",
                                        "workflows: 0 customers moved, 0 tasks created, "
                                        "0 cancelled"]


def test_evaluate_usage_errors(run, world, engine, tmp_path):
    assert run("evaluate", "--as-of", "31/03/2026").exit_code == 2
    unknown = run("evaluate", "nope")
    assert unknown.exit_code == 1 and "error: no ruleset 'nope'" in unknown.output
    install(engine, tmp_path / "more", ruleset(id="second"), forms=(), pack_id="more")
    several = run("evaluate")
    assert several.exit_code == 2
    assert "name a ruleset: more than one exists (rs, second)" in several.output


def test_explain_a_stored_customer(engine, world):
    evaluate(engine, "rs", as_of=AS_OF)
    explanation = explain(engine, "a0")
    assert (explanation.segment, explanation.effective_segment) == ("low", "low")
    [axis] = explanation.axes
    assert axis.score == 26.666666665
    assert [(i.metric, i.value, i.matched, i.points, i.weight, i.contribution)
            for i in axis.items] == [
        ("revenue", 0.3, "percentile", 3.333333333, 1.0, 16.666666665),
        ("certified", None, "missing (2 points)", 2.0, 1.0, 10.0)]
    assert explanation.tiers == [{"id": "high", "when": "main >= 50", "holds": False},
                                 {"id": "low", "when": None, "holds": True}]
    assert explanation.metrics["last"] == D(2026, 2, 3)


def test_explain_quadrant_splits_bands_and_maps(engine, tmp_path):
    axes = {"x": {"label": "X", "items": [
                {"metric": "beds", "weight": 3, "score": {"bands": [
                    {"min": 100, "points": 10}, {"min": 10, "max": 99, "points": 5}]}},
                {"metric": "grade", "weight": 1, "score": {"map": {"a": 10, "b": 4},
                                                           "else": 1}}]},
            "y": {"label": "Y", "items": [{"metric": "growth", "weight": 1,
                                           "score": {"linear": {"from": 0, "to": 10}}}]}}
    install(engine, tmp_path, ruleset(
        metrics={"beds": {"field": "beds"}, "grade": {"field": "grade"},
                 "growth": {"field": "growth"}, "region": {"field": "region"}},
        axes=axes, classification=quadrant(split={"x": "p25", "y": 5}, stability_margin=1,
                                           split_within="region")))
    facts = Facts(engine)
    facts.customer("C1", type="clinic", region="north", beds=50, grade="b", growth=6)
    facts.customer("C2", type="clinic", region="north", beds=150, grade="c", growth=2)
    evaluate(engine, "rs", as_of=AS_OF)
    explanation = explain(engine, "C1", ruleset_id="rs")
    x, y = explanation.axes
    assert [i.matched for i in x.items] == ["band 2 (10 ≤ value ≤ 99)", "map 'b'"]
    # x: C1 10·(3·5 + 4)/4 = 47.5, C2 10·(3·10 + 1)/4 = 77.5; p25 in north: 55
    assert x.split == {"rule": "p25", "value": 55.0, "margin": 1, "side": "low",
                       "group": "north", "previous_side": None}
    assert y.items[0].matched == "linear from 0 to 10"
    assert y.split["value"] == 5.0 and y.split["side"] == "high"
    assert explain(engine, "C2").axes[0].items[1].matched == "else (1 points)"
    assert "    split p25 in group 'north' = 55, margin 1; previous side none → low" in \
        explanation.lines()


def test_explain_a_dry_run(engine, world):
    result = evaluate(engine, "rs", as_of=AS_OF, dry_run=True)
    explanation = explain_result(result, "B2")
    assert explanation.run_id is None and explanation.segment == "high"
    assert explanation.lines()[0] == "B2: high (rs, dry run, as of 2026-03-31)"


def test_scores_explain_command(run, world):
    run("evaluate", "--as-of", "2026-03-31")
    result = run("scores", "explain", "B2")
    assert result.exit_code == 0
    assert result.output.splitlines()[:4] == [
        "B2: high (rs, run 1, as of 2026-03-31)", "  previous segment: none",
        "  main = 83.333333335",
        "    revenue = 10.5: percentile → 6.666666667 points × weight 1 → 33.333333335"]
    as_json = json.loads(run("scores", "explain", "B2", "--json").output)
    assert as_json["axes"][0]["items"][1]["matched"] == "map 'true'"
    out_of_scope = run("scores", "explain", "X")
    assert out_of_scope.exit_code == 1
    assert "error: no customer in run 1 of rs 'X'" in out_of_scope.output
