"""The SOP compliance, conversion and value concentration figures (engine.reports), computed on
a hand-made world with known answers (tests/reports_b_world.py), for an admin and a manager."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.access import Viewer
from engine.errors import InvalidInput
from engine.models import User
from engine.reports import compliance as sop
from engine.reports import concentration, conversion
from engine.reports.filters import ReportFilter
from reports_b_world import RULESET, _world_snapshot, sop_world, world  # noqa: F401


def viewer(engine, username: str) -> Viewer:
    with engine.connect() as connection:
        user = connection.execute(select(User).where(User.username == username)).one()
    return Viewer(id=user.id, username=user.username, role=user.role, team=user.team)


def period_filters(sop_world) -> ReportFilter:
    return ReportFilter(ruleset=RULESET, run=sop_world.runs["R3"], run_b=sop_world.runs["R1"])


def test_period_defaults_to_the_runs_and_reads_dates(engine, sop_world):
    filters = period_filters(sop_world)
    with Session(engine) as session:
        assert sop.period_of(session, filters) == sop.Period(dt.date(2026, 10, 1),
                                                             dt.date(2026, 12, 30))
        assert sop.period_of(session, filters, "2026-11-01", "") == sop.Period(
            dt.date(2026, 11, 1), dt.date(2026, 12, 30))
        with pytest.raises(InvalidInput) as error:
            sop.period_of(session, filters, "2026-13-01", "x")
        assert {p.path for p in error.value.problems} == {"from", "to"}
        with pytest.raises(InvalidInput) as error:
            sop.period_of(session, filters, "2026-12-01", "2026-11-01")
        assert [p.path for p in error.value.problems] == ["to"]
        with pytest.raises(InvalidInput):
            sop.period_of(session, ReportFilter(ruleset=RULESET, run=sop_world.runs["R1"]))


def test_requirements_come_from_the_published_workflow(engine, sop_world):
    with Session(engine) as session:
        needs = {(r.segment, r.channel, r.every_days) for r in sop.requirements(session, RULESET)}
        intervals = sop.run_intervals(session, RULESET, sop.Period(dt.date(2026, 10, 1),
                                                                   dt.date(2026, 12, 30)))
    assert needs == {("star", "face_to_face", 7), ("cash_cow", "face_to_face", 14),
                     ("question", "face_to_face", 7), ("dog", "phone", 30)}
    runs = sop_world.runs
    assert intervals == [(runs["R1"], dt.date(2026, 10, 1), dt.date(2026, 11, 15), 45),
                         (runs["R2"], dt.date(2026, 11, 15), dt.date(2026, 12, 30), 45)]


def test_compliance_by_segment_team_and_rep(engine, sop_world):
    filters = period_filters(sop_world)
    with Session(engine) as session:
        period = sop.period_of(session, filters)
        report = sop.compliance(session, viewer(engine, "admin"), filters, period)
    by_segment = {r["key"]: r for r in report["groups"]["segment"]}
    assert set(by_segment) == {"star", "question", "dog"}
    assert by_segment["star"]["channels"]["face_to_face"] == {"required": 6, "done": 4, "met": 4}
    assert by_segment["question"]["channels"]["face_to_face"] == {"required": 6, "done": 3,
                                                                 "met": 3}
    assert by_segment["dog"]["channels"]["phone"] == {"required": 3, "done": 4, "met": 3}
    assert by_segment["dog"]["rate"] == 1.0
    total = report["total"]
    assert (total["customers"], total["required"], total["done"], total["met"]) == (2, 15, 11, 10)
    assert total["rate"] == pytest.approx(10 / 15)
    assert total["tasks_done"] == 1
    by_team = {r["key"]: r for r in report["groups"]["team"]}
    assert (by_team["east"]["required"], by_team["east"]["met"], by_team["east"]["customers"],
            by_team["east"]["tasks_done"]) == (12, 7, 1, 1)
    assert (by_team["west"]["required"], by_team["west"]["met"],
            by_team["west"]["tasks_done"]) == (3, 3, 0)
    by_rep = {r["key"]: r for r in report["groups"]["owner"]}
    assert by_rep["r1"]["name"] == "R1" and by_rep["r1"]["rate"] == pytest.approx(7 / 12)
    assert [(b["code"], b["required"], b["done"], b["gap"]) for b in report["behind"]] == [
        ("C1", 12, 7, 5)]


def test_compliance_of_a_manager_is_their_team_and_filters_narrow_it(engine, sop_world):
    filters = period_filters(sop_world)
    with Session(engine) as session:
        period = sop.period_of(session, filters)
        m2 = sop.compliance(session, viewer(engine, "m2"), filters, period)
        owner = sop.compliance(session, viewer(engine, "admin"),
                               ReportFilter(**{**filters.__dict__, "owner": "r1"}), period)
        later = sop.compliance(session, viewer(engine, "admin"), filters,
                               sop.Period(dt.date(2026, 11, 15), dt.date(2026, 12, 30)))
    assert [r["key"] for r in m2["groups"]["team"]] == ["west"]
    assert (m2["total"]["required"], m2["total"]["met"], m2["behind"]) == (3, 3, [])
    assert [r["key"] for r in owner["groups"]["owner"]] == ["r1"]
    # Only R2's 45 days: C1 question (6 required, 3 done), C2 dog (45 // 30 = 1 call, 2 done).
    assert {r["key"]: (r["required"], r["met"]) for r in later["groups"]["segment"]} == {
        "question": (6, 3), "dog": (1, 1)}


def test_conversion_by_band_team_and_rep(engine, sop_world):
    filters = period_filters(sop_world)
    with Session(engine) as session:
        period = sop.period_of(session, filters)
        result = conversion.conversion(session, viewer(engine, "admin"), filters, period)
        m1 = conversion.conversion(session, viewer(engine, "m1"), filters, period)
    rows = result["rows"]
    assert sorted((r["from"], r["to"], r["customers"]) for r in rows["total"]) == [
        ("dog", "cash_cow", 1), ("star", "star", 1)]
    # C1 did 7 of 12 (58 %: 50–80 %), C2 3 of 3 (≥ 80 %).
    assert sorted((r["key"], r["from"], r["to"]) for r in rows["band"]) == [
        ("high", "dog", "cash_cow"), ("mid", "star", "star")]
    assert sorted((r["key"], r["from"], r["to"]) for r in rows["team"]) == [
        ("east", "star", "star"), ("west", "dog", "cash_cow")]
    assert sorted((r["key"], r["name"]) for r in rows["owner"]) == [("r1", "R1"), ("r2", "R2")]
    assert [(r["key"], r["from"]) for r in m1["rows"]["band"]] == [("mid", "star")]
    matrix = conversion.matrices(rows["total"])
    assert matrix["all"]["from"]["dog"] == {"total": 1, "cash_cow": 1}


def test_conversion_counts_customers_that_left_the_scope(engine, sop_world):
    from sqlalchemy import delete

    from engine.db import transaction
    from engine.models import CustomerScore
    with transaction(engine) as session:
        session.execute(delete(CustomerScore).where(
            CustomerScore.run_id == sop_world.runs["R3"],
            CustomerScore.customer_id == sop_world.ids["C2"]))
    filters = period_filters(sop_world)
    with Session(engine) as session:
        result = conversion.conversion(session, viewer(engine, "admin"), filters,
                                       sop.period_of(session, filters))
    assert sorted((r["from"], r["to"] or "") for r in result["rows"]["total"]) == [
        ("dog", ""), ("star", "star")]


def test_pareto_curve_of_a_stored_metric(engine, sop_world):
    filters = ReportFilter(ruleset=RULESET, run=sop_world.runs["R1"])
    with Session(engine) as session:
        spec, as_of = concentration.run_spec(session, filters.run)
        metrics = concentration.value_metrics(spec)
        curve = concentration.pareto(session, viewer(engine, "admin"), filters, "revenue")
        mine = concentration.pareto(session, viewer(engine, "m1"), filters, "revenue")
        labels = concentration.metric_labels(session, filters.run)
    assert metrics[0] == "revenue" and "beds" not in metrics
    assert labels["revenue"] == {"zh": "销售额", "en": "Revenue"}
    assert as_of == dt.date(2026, 10, 1)
    # C1 900,000, C2 300,000 (C3 is inactive, out of scope): the top half holds 75 %.
    assert curve["customers"] == 2 and curve["total"] == pytest.approx(1_200_000)
    assert curve["points"] == [(0.0, 0.0), (0.5, 0.75), (1.0, 1.0)]
    assert curve["top80"] == 2
    assert concentration.share_at(curve["points"], 0.5) == 0.75
    assert (mine["customers"], mine["points"], mine["top80"]) == (1, [(0.0, 0.0), (1.0, 1.0)], 1)


def test_segment_kpis_from_the_facts_of_the_window(engine, sop_world):
    filters = ReportFilter(ruleset=RULESET, run=sop_world.runs["R1"])
    with Session(engine) as session:
        kpis = concentration.segment_kpis(session, viewer(engine, "admin"), filters)
        mine = concentration.segment_kpis(session, viewer(engine, "m2"), filters)
    assert kpis["window"] == (dt.date(2025, 10, 1), dt.date(2026, 10, 1))
    star, dog = kpis["segments"]["star"], kpis["segments"]["dog"]
    assert (star["customers"], star["revenue"], star["revenue_prev"]) == (1, 900_000_00,
                                                                          450_000_00)
    assert star["growth"] == pytest.approx(1.0) and star["margin"] == pytest.approx(0.5)
    assert star["orders_per_customer"] == 1 and star["pay_days"] == pytest.approx(25)
    assert star["visits_per_customer"] == 1
    assert (dog["revenue"], dog["growth"], dog["pay_days"], dog["visits_per_customer"]) == (
        300_000_00, None, None, 0)
    assert set(mine["segments"]) == {"dog"}
