"""``scores explain`` prints numbers as stored (nine decimals at most, no binary noise) and,
for a customer without a score in the run, says why: unknown, inactive, another type, merged,
or not in scope when the run was made."""
from __future__ import annotations

import pytest

from engine.evaluation import evaluate
from tests.eval_support import D, Facts, install, ruleset

AS_OF = D(2026, 3, 31)
METRICS = {"visits_made": {"aggregate": "count", "of": "visits"}}


@pytest.fixture
def world(engine, tmp_path):
    axes = {"main": {"label": "Main", "items": [
        {"metric": "visits_made", "weight": 7, "score": {"linear": {"from": 0, "to": 29}}}]}}
    install(engine, tmp_path, ruleset(metrics=METRICS, axes=axes))
    facts = Facts(engine)
    facts.customer("A1", type="clinic")
    facts.customer("B2", type="clinic")
    facts.customer("OFF", type="clinic", status="inactive")
    facts.customer("PH", type="pharmacy")
    for day in range(9):
        facts.visit("A1", D(2026, 3, 1 + day))
    return engine


def test_numbers_are_printed_as_stored(run, world):
    assert run("evaluate", "--as-of", AS_OF).exit_code == 0
    lines = run("scores", "explain", "A1").output.splitlines()
    # Points 3.103448276 (stored rounded); 10 × 7 × points / 7 is 31.034482760000003 in
    # binary, shown as the nine decimals everything is stored with.
    assert lines[2:4] == ["  main = 31.03448276",
                          "    visits_made = 9: linear from 0 to 29 → 3.103448276 points × "
                          "weight 7 → 31.03448276"]


@pytest.mark.parametrize("code, why", [
    ("OFF", "its status is 'inactive', and a run scores active customers only"),
    ("PH", "its type is 'pharmacy', and ruleset rs applies to clinic"),
    ("NOPE", "there is no such customer"),
])
def test_a_customer_without_a_score_is_told_why(run, world, code, why):
    run("evaluate", "--as-of", AS_OF)
    result = run("scores", "explain", code)
    assert result.exit_code == 1
    assert result.output == f"error: no customer in run 1 of rs {code!r}: {why}\n"


def test_a_customer_added_after_the_run(run, world, engine):
    evaluate(engine, "rs", as_of=AS_OF)
    Facts(engine).customer("NEW", type="clinic")
    result = run("scores", "explain", "NEW")
    assert result.output == ("error: no customer in run 1 of rs 'NEW': it was not in scope "
                             "when the run was made (added or changed since)\n")


def test_counts_of_one_are_singular(run, engine, tmp_path):
    axes = {"main": {"label": "Main", "items": [
        {"metric": "visits_made", "weight": 1, "score": "percentile"}]}}
    install(engine, tmp_path, ruleset(metrics=METRICS, axes=axes))
    Facts(engine).customer("ONLY", type="clinic")
    output = run("evaluate", "--as-of", AS_OF).output
    assert output.startswith("ruleset rs version 1 as of 2026-03-31: 1 customer in scope, ")
