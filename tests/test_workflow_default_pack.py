"""The default pack's follow-up workflow end to end on a stored run of its ruleset."""
from __future__ import annotations

import datetime as dt

from engine.setup import initialize
from engine.workflows import apply_run
from tests.workflow_support import (LOCAL_START, RUN_START, add_customer, add_user, state_of,
                                    store_run, summary, tasks_of)

WORKFLOW, RULESET = "quadrant_followup", "value_potential"


def test_quadrant_followup_assigns_and_moves(engine, session):
    initialize(engine, admin_password="x")
    add_user(session, "m1", "manager", seniority="senior", team="t1")
    add_user(session, "s1", "rep", seniority="senior", team="t1", manager="m1")
    add_user(session, "j1", "rep", seniority="junior", team="t1", manager="m1")
    add_user(session, "mk1", "staff", team="marketing")
    for code, owner in (("H1", "s1"), ("H2", "j1"), ("H3", "j1")):
        add_customer(session, code, owner, type="hospital", name=f"医院{code}")
    session.commit()
    apply_run(engine, store_run(engine, {"H1": "star", "H2": "star", "H3": "dog"},
                                ruleset_id=RULESET))
    assert [(t.customer.code, t.template, t.assignee.username, t.due_date - LOCAL_START)
            for t in tasks_of(session)] == [
        ("H1", "strategic_plan", "s1", dt.timedelta(days=14)),
        ("H1", "academic_support", "mk1", dt.timedelta(days=7)),
        ("H1", "weekly_visit", "s1", dt.timedelta(days=7)),
        ("H2", "strategic_plan", "s1", dt.timedelta(days=14)),     # the junior owner is no
        ("H2", "academic_support", "mk1", dt.timedelta(days=7)),   # senior: his team's one
        ("H2", "weekly_visit", "s1", dt.timedelta(days=7)),
        ("H3", "roi_review", "m1", dt.timedelta(days=30)),
        ("H3", "monthly_call", "j1", dt.timedelta(days=30))]
    assert tasks_of(session)[0].title == {"zh": "为医院H1制定战略合作计划",
                                          "en": "Strategic partnership plan for 医院H1"}
    apply_run(engine, store_run(engine, {"H1": "dog", "H2": "star", "H3": "dog"},
                                ruleset_id=RULESET, started_at=RUN_START + dt.timedelta(90)))
    assert state_of(session, "H1", WORKFLOW) == "dog"
    assert summary(tasks_of(session, "H1")) == [
        ("strategic_plan", "star", "open"), ("academic_support", "star", "open"),
        ("weekly_visit", "star", "cancelled"), ("decline_analysis", "dog", "open"),
        ("roi_review", "dog", "open"), ("monthly_call", "dog", "open")]
