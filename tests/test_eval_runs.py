"""Stored runs: what a run records, dry runs, overrides, warnings, versions (SPEC §4)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.definitions import lifecycle
from engine.db import transaction
from engine.errors import Conflict, NotFound
from engine.evaluation import evaluate, today
from engine.models import CustomerScore, EvaluationRun
from tests.eval_support import D, Facts, install, quadrant, ruleset

AS_OF = D(2026, 3, 31)
METRICS = {"revenue": {"aggregate": "sum", "of": "orders.amount"},
           "visits": {"aggregate": "count", "of": "visits"},
           "beds": {"field": "beds"}, "opened": {"field": "opened"}}
AXES = {"x": {"label": "X", "items": [{"metric": "revenue", "weight": 2, "score": "percentile"},
                                      {"metric": "visits", "weight": 1,
                                       "score": {"bands": [{"min": 1, "points": 10}]}}]},
        "y": {"label": "Y", "items": [{"metric": "beds", "weight": 1,
                                       "score": {"linear": {"from": 0, "to": 100}},
                                       "missing": 5}]}}


@pytest.fixture
def world(engine, tmp_path):
    install(engine, tmp_path, ruleset(metrics=METRICS, axes=AXES, classification=quadrant()))
    facts = Facts(engine)
    facts.customer("A", type="clinic", beds=80, opened="2024-02-29")
    facts.customer("B", type="clinic", beds=20)
    facts.customer("C", type="clinic")
    facts.customer("Z", type="clinic", status="inactive", beds=99)
    facts.order("A", D(2026, 1, 1), "100.5")
    facts.order("B", D(2026, 1, 1), 50)
    facts.visit("B", D(2026, 2, 1))
    return facts


def stored(engine, model, run_id):
    with engine.connect() as connection:
        return connection.execute(select(model).where(model.run_id == run_id)).all()


def run_row(engine, run_id):
    with engine.connect() as connection:
        return connection.execute(select(EvaluationRun).where(EvaluationRun.id == run_id)).one()


def test_a_stored_run_records_what_it_found(engine, world):
    result = evaluate(engine, "rs", as_of=AS_OF)
    run = run_row(engine, result.run_id)
    assert (run.ruleset_id, run.as_of, run.status, run.trigger) == ("rs", AS_OF, "completed", "cli")
    assert run.definition_versions == result.ruleset.definition_versions
    assert run.definition_versions[0] == run.ruleset_version_id
    assert len(run.definition_versions) == 2            # the ruleset and the clinic form
    # x: revenue A 100.5 → 10, B 50 → 5, C 0 → 0 points (weight 2); visits B 10 points.
    #    A 10·20/3 = 66.666666667, B 10·(10+10)/3 = 66.666666667, C 0: median 66.666666667
    # y: beds A 80, B 20, C missing 5 points → 50: median 50
    assert run.splits == {"x": {"rule": "median", "value": 66.666666667},
                          "y": {"rule": "median", "value": 50.0}}
    assert run.counts == {"customers": 3, "segments": {"hh": 1, "hl": 1, "lh": 1, "ll": 0},
                          "effective_segments": {"hh": 1, "hl": 1, "lh": 1, "ll": 0},
                          "overridden": 0, "new": 3, "left_scope": 0}
    assert run.migration == {"previous_run": None,
                             "matrix": {"unclassified": {"hh": 1, "hl": 1, "lh": 1}}}
    assert {"kind": "empty_segment", "segment": "ll",
            "message": "segment 'll' has no customers"} in run.warnings
    assert {"scope", "aggregate_orders", "aggregate_visits", "scoring", "store"} <= \
        set(run.timings)
    assert run.finished_at is not None and run.format_version == 1


def test_score_rows_explain_each_customer(engine, world):
    result = evaluate(engine, "rs", as_of=AS_OF)
    rows = {r.customer_id: r for r in stored(engine, CustomerScore, result.run_id)}
    a = rows[world.customers["A"]]
    assert (a.segment, a.previous_segment, a.effective_segment) == ("hh", None, "hh")
    assert a.axes == {"x": 66.666666667, "y": 80.0}
    assert a.metrics == {
        "revenue": {"value": 100.5, "points": 10.0, "weight": 2.0},
        "visits": {"value": 0.0, "points": 0.0, "weight": 1.0},
        "beds": {"value": 80.0, "points": 8.0, "weight": 1.0},
        "opened": {"value": "2024-02-29"}}
    assert a.sides == {"x": "high", "y": "high"}
    assert rows[world.customers["C"]].metrics["beds"] == {"value": None, "points": 5.0,
                                                          "weight": 1.0}
    assert world.customers["Z"] not in rows                      # inactive: out of scope


def test_dry_run_stores_nothing(engine, world):
    result = evaluate(engine, "rs", as_of=AS_OF, dry_run=True)
    assert result.run_id is None and len(result.population) == 3
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(EvaluationRun)) == 0
        assert connection.scalar(select(func.count()).select_from(CustomerScore)) == 0


def test_previous_segment_and_migration(engine, world):
    first = evaluate(engine, "rs", as_of=AS_OF)
    world.customer("D", type="clinic", beds=100)
    world.order("C", D(2026, 3, 1), 1000)
    from sqlalchemy import update

    from engine.models import Customer
    with engine.begin() as connection:
        connection.execute(update(Customer).where(Customer.code == "B").values(status="inactive"))
    second = evaluate(engine, "rs", as_of=AS_OF)
    assert second.previous_run_id == first.run_id
    rows = {r.customer_id: r for r in stored(engine, CustomerScore, second.run_id)}
    assert rows[world.customers["A"]].previous_segment == "hh"
    assert rows[world.customers["D"]].previous_segment is None
    # x: revenue percentile D 0, A 5, C 10 points → A 33.3, C 66.7, D 0: median A's score.
    # y: beds A 80, C missing 50, D 100: median 80. B left the scope.
    assert second.migration == {"previous_run": first.run_id, "matrix": {
        "hh": {"hh": 1}, "hl": {"unclassified": 1}, "lh": {"hl": 1},
        "unclassified": {"lh": 1}}}
    assert second.counts["left_scope"] == 1 and second.counts["new"] == 1


def test_approved_unexpired_override_sets_the_effective_segment(engine, world):
    world.override("A", "rs", "ll", until=AS_OF)                     # valid through as_of
    world.override("B", "rs", "ll", until=D(2026, 3, 30))            # expired
    world.override("C", "rs", "hh", until=D(2027, 1, 1), status="pending")
    world.override("C", "other", "hh", until=D(2027, 1, 1))          # another ruleset
    result = evaluate(engine, "rs", as_of=AS_OF)
    rows = {r.customer_id: r for r in stored(engine, CustomerScore, result.run_id)}
    a, b, c = (rows[world.customers[code]] for code in "ABC")
    assert (a.segment, a.effective_segment) == ("hh", "ll")
    assert (b.segment, b.effective_segment) == ("hl", "hl")
    assert (c.segment, c.effective_segment) == ("lh", "lh")
    assert result.counts["overridden"] == 1
    assert result.counts["effective_segments"] == {"hh": 0, "hl": 1, "lh": 1, "ll": 1}


def test_warnings(engine, tmp_path):
    install(engine, tmp_path, ruleset(metrics=METRICS, axes=AXES, classification=quadrant()))
    facts = Facts(engine)
    for code in ("A", "B", "C", "D"):
        facts.customer(code, type="clinic")                  # dormant: every score the same
    facts.customer("E", type="clinic", beds=10)
    facts.order("E", D(2026, 1, 1), 5)
    result = evaluate(engine, "rs", as_of=AS_OF, dry_run=True)
    kinds = [(w["kind"], w.get("axis") or w.get("metric") or w.get("segment"))
             for w in result.warnings]
    # A–D share x = 25 (the median) and y = 50 (missing points, the median): all hh.
    assert kinds == [("crowded_split", "x"), ("crowded_split", "y"),
                     ("mostly_null_metric", "beds"), ("mostly_null_metric", "opened"),
                     ("empty_segment", "lh"), ("empty_segment", "ll")]
    assert result.warnings[0]["message"] == (
        "4 of 5 customers score exactly on the median split of axis 'x'; consider mean or pNN")
    assert result.warnings[2]["message"] == "metric 'beds' is null for 4 of 5 customers"


def test_a_draft_version_can_only_be_previewed(engine, world):
    draft = ruleset(metrics=METRICS, axes=AXES, classification=quadrant(split="mean"))
    import json
    with transaction(engine) as session:
        version = lifecycle.save_draft(session, "ruleset", json.dumps(draft), "admin",
                                       file_format="json")
    preview = evaluate(engine, "rs", as_of=AS_OF, dry_run=True, version=version.number)
    assert preview.splits["x"]["rule"] == "mean" and not preview.ruleset.published
    with pytest.raises(Conflict, match="not published; only a dry run"):
        evaluate(engine, "rs", as_of=AS_OF, version=version.number)
    assert evaluate(engine, "rs", as_of=AS_OF, dry_run=True).splits["x"]["rule"] == "median"


def test_unknown_ruleset(engine, world):
    with pytest.raises(NotFound, match="no ruleset 'rz'"):
        evaluate(engine, "rz", as_of=AS_OF)


def test_as_of_defaults_to_today_in_the_configured_zone(engine, world, monkeypatch):
    monkeypatch.setenv("KAMFLOW_TIMEZONE", "Pacific/Kiritimati")
    result = evaluate(engine, "rs", dry_run=True)
    assert result.as_of == today("Pacific/Kiritimati")


def test_a_failed_run_is_recorded_without_scores(engine, world, monkeypatch):
    import engine.evaluation.runner as runner

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(runner, "score_axes", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        evaluate(engine, "rs", as_of=AS_OF)
    with engine.connect() as connection:
        run = connection.execute(select(EvaluationRun)).one()
        assert (run.status, run.error) == ("failed", "RuntimeError: disk full")
        assert connection.scalar(select(func.count()).select_from(CustomerScore)) == 0


def test_after_store_hooks_run_in_the_storing_transaction(engine, world):
    seen = []

    def hook(session, result):
        count = session.scalar(select(func.count()).select_from(CustomerScore)
                               .where(CustomerScore.run_id == result.run_id))
        seen.append((result.run_id, count))

    result = evaluate(engine, "rs", as_of=AS_OF, after_store=[hook])
    assert seen == [(result.run_id, 3)]


def test_publishing_a_new_version_leaves_stored_runs_alone(engine, world, tmp_path):
    first = evaluate(engine, "rs", as_of=AS_OF)
    install(engine, tmp_path / "v2", ruleset(metrics=METRICS, axes=AXES,
                                             classification=quadrant(split="mean")))
    second = evaluate(engine, "rs", as_of=AS_OF)
    old, new = run_row(engine, first.run_id), run_row(engine, second.run_id)
    assert old.ruleset_version_id != new.ruleset_version_id
    assert old.splits["x"]["rule"] == "median" and new.splits["x"]["rule"] == "mean"


def test_stored_text_survives_escaping(engine, tmp_path):
    """Quotes, backslashes, tabs, newlines and non-ASCII text come back as they went in."""
    metrics = {"note": {"field": "note"}, "grade": {"field": "grade"}}
    axes = {"x": {"label": "X", "items": [{"metric": "note", "weight": 1,
                                           "score": {"map": {"a": 10}}}]},
            "y": {"label": "Y", "items": [{"metric": "grade", "weight": 1,
                                           "score": {"map": {"a": 10}}}]}}
    install(engine, tmp_path, ruleset(metrics=metrics, axes=axes,
                                      classification=quadrant(split_within="note")))
    tricky = 'say "hi"\\ \t tab\nline 中文 \\N %s'
    Facts(engine).customer("C1", type="clinic", note=tricky, grade="a")
    result = evaluate(engine, "rs", as_of=AS_OF)
    [row] = stored(engine, CustomerScore, result.run_id)
    assert row.metrics["note"] == {"value": tricky, "points": 0.0, "weight": 1.0}
    assert row.sides == {"x": "high", "y": "high", "@group": tricky}
