"""Segment overrides: challenges, decisions, direct overrides, audit, and their effect."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from engine.errors import Conflict, InvalidInput, NotFound
from engine.models import AuditEntry
from engine.overrides import (OverrideNotAllowed, approve_override, clear_override,
                              effective_segments, list_overrides, reject_override,
                              request_override, set_override)
from engine.workflows import apply_run
from tests.workflow_support import (RUN_START, add_customer, add_user, fresh, install,
                                    state_of, store_run, summary, tasks_of, template, workflow)

TODAY = dt.date(2026, 3, 1)
UNTIL = dt.date(2026, 6, 30)


@pytest.fixture
def people(engine, session, tmp_path):
    add_user(session, "admin", "admin")
    add_user(session, "boss", "manager", team="north")
    add_user(session, "rep1", "rep", team="north", manager="boss")
    session.commit()
    wf = workflow(on_enter={"a": ["visit_a"], "b": ["visit_b"]},
                  tasks={"visit_a": template(every_days=7), "visit_b": template(every_days=14)})
    install(engine, tmp_path / "pack", wf)
    add_customer(session, "C1", "rep1")
    session.commit()


def audit_trail(session) -> list[tuple]:
    fresh(session)
    return [(e.action, e.actor, e.details["status"]) for e in session.scalars(
        select(AuditEntry).where(AuditEntry.object_type == "segment_override")
        .order_by(AuditEntry.id))]


def test_a_rep_challenges_and_the_manager_approves(session, people):
    challenge = request_override(session, "C1", "a", UNTIL, "new cardiology wing", "rep1",
                                 today=TODAY)
    assert (challenge.status, challenge.ruleset_id) == ("pending", "tiers")
    with pytest.raises(OverrideNotAllowed, match="'rep1' may not decide"):
        approve_override(session, challenge.id, "rep1")
    approved = approve_override(session, challenge.id, "boss")
    assert (approved.status, approved.decided_by) == ("approved", "boss")
    assert approved.decided_at is not None
    with pytest.raises(Conflict, match=f"override {challenge.id} is approved, not pending"):
        reject_override(session, challenge.id, "boss")
    session.commit()
    assert audit_trail(session) == [("override.request", "rep1", "pending"),
                                    ("override.approve", "boss", "approved")]


def test_the_manager_rejects_and_nobody_decides_their_own(session, people):
    challenge = request_override(session, "C1", "a", UNTIL, "why not", "boss", today=TODAY)
    with pytest.raises(OverrideNotAllowed, match="'boss' requested override"):
        approve_override(session, challenge.id, "boss")
    rejected = reject_override(session, challenge.id, "admin", comment="no evidence")
    assert (rejected.status, rejected.decided_by) == ("rejected", "admin")
    session.commit()
    assert effective_segments(session, "tiers", TODAY) == {}


def test_every_problem_is_listed_at_once(session, people):
    with pytest.raises(InvalidInput) as caught:
        set_override(session, "C1", "aa", TODAY - dt.timedelta(days=1), "  ", "boss",
                     today=TODAY)
    assert [p.message for p in caught.value.problems] == [
        "unknown segment 'aa' (did you mean 'a'?); expected one of a, b, c",
        "until 2026-02-28 is in the past", "a reason is required"]
    with pytest.raises(NotFound, match="no customer 'C9'"):
        set_override(session, "C9", "a", UNTIL, "x", "boss", today=TODAY)
    with pytest.raises(NotFound, match="no ruleset 'nope'"):
        set_override(session, "C1", "a", UNTIL, "x", "boss", ruleset_id="nope", today=TODAY)


def test_set_replaces_the_active_override_and_clear_ends_it(session, people):
    first = set_override(session, "C1", "a", UNTIL, "pilot", "boss", today=TODAY)
    second = set_override(session, "C1", "c", UNTIL, "changed", "admin", today=TODAY)
    assert (first.status, second.status) == ("cleared", "approved")
    assert effective_segments(session, "tiers", TODAY) == {second.customer_id: "c"}
    assert effective_segments(session, "tiers", UNTIL + dt.timedelta(days=1)) == {}
    clear_override(session, "C1", "admin")
    with pytest.raises(NotFound, match="no approved override in ruleset tiers for customer "
                                       "'C1'"):
        clear_override(session, "C1", "admin")
    with pytest.raises(OverrideNotAllowed, match="'rep1' may not set overrides"):
        set_override(session, "C1", "a", UNTIL, "mine", "rep1", today=TODAY)
    session.commit()
    assert [o.status for o in list_overrides(session)] == ["cleared", "cleared"]
    assert audit_trail(session) == [
        ("override.set", "boss", "approved"), ("override.clear", "admin", "cleared"),
        ("override.set", "admin", "approved"), ("override.clear", "admin", "cleared")]


def test_an_override_moves_the_state_at_the_next_run_and_back_when_it_ends(engine, session,
                                                                           people):
    apply_run(engine, store_run(engine, {"C1": "b"}))
    set_override(session, "C1", "a", UNTIL, "key account", "boss", today=TODAY)
    session.commit()
    assert state_of(session, "C1") == "b"                  # not before the next run
    later = RUN_START + dt.timedelta(days=30)
    apply_run(engine, store_run(engine, {"C1": "b"}, started_at=later))
    assert state_of(session, "C1") == "a"
    assert summary(tasks_of(session)) == [("visit_b", "b", "cancelled"),
                                          ("visit_a", "a", "open")]
    # The override has expired by the following run: the computed segment applies again.
    expired = dt.datetime(2026, 7, 1, 2, 0, tzinfo=dt.timezone.utc)
    apply_run(engine, store_run(engine, {"C1": "b"}, started_at=expired))
    assert state_of(session, "C1") == "b"
    assert summary(tasks_of(session))[-1] == ("visit_b", "b", "open")
