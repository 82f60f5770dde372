"""Daily maintenance: overdue digests, escalation, expired overrides, missing occurrences."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from engine.models import AuditEntry, SegmentOverride, Task, utcnow
from engine.overrides import set_override
from engine.workflows import apply_run, maintain
from tests.workflow_support import (LOCAL_START, add_customer, add_user, fresh, install,
                                    notifications, store_run, tasks_of, template, workflow)

DUE = LOCAL_START + dt.timedelta(days=7)


@pytest.fixture
def overdue_setup(engine, session, tmp_path):
    """C1 (owned by rep1, managed by boss) and C2 (no owner) each get a visit due on DUE."""
    add_user(session, "admin", "admin")
    add_user(session, "boss", "manager", team="north")
    add_user(session, "rep1", "rep", team="north", manager="boss")
    session.commit()
    wf = workflow(on_enter={"a": ["visit"]}, tasks={"visit": template(every_days=7)})
    install(engine, tmp_path / "pack", wf)
    add_customer(session, "C1", "rep1")
    add_customer(session, "C2", None)
    session.commit()
    apply_run(engine, store_run(engine, {"C1": "a", "C2": "a"}))


def test_overdue_tasks_are_notified_once_a_day(engine, session, overdue_setup):
    assert maintain(engine, DUE).overdue == 0
    report = maintain(engine, DUE + dt.timedelta(days=1), escalate_after=3)
    assert (report.overdue, report.overdue_notified) == (2, 2)
    told = notifications(session, "task.overdue")
    assert [(n.user.username if n.user else None, n.payload["count"]) for n in told] == [
        ("rep1", 1), (None, 1)]
    again = maintain(engine, DUE + dt.timedelta(days=1), escalate_after=3)
    assert again.digest_already_sent and len(notifications(session, "task.overdue")) == 2


def test_escalation_to_the_managers_after_n_days_once(engine, session, overdue_setup):
    assert maintain(engine, DUE + dt.timedelta(days=2), escalate_after=3).escalated == 0
    report = maintain(engine, DUE + dt.timedelta(days=3), escalate_after=3)
    assert report.escalated == 2
    told = notifications(session, "task.escalated")
    assert [(n.user.username if n.user else None, n.payload["count"]) for n in told] == [
        ("boss", 1), (None, 1)]                 # the unassigned task goes to the admins
    assert maintain(engine, DUE + dt.timedelta(days=4), escalate_after=3).escalated == 0
    assert len(notifications(session, "task.escalated")) == 2


def test_the_escalation_delay_is_a_setting(engine, session, overdue_setup, monkeypatch):
    monkeypatch.setenv("KAMFLOW_ESCALATE_AFTER_DAYS", "10")
    assert maintain(engine, DUE + dt.timedelta(days=9)).escalated == 0
    assert maintain(engine, DUE + dt.timedelta(days=10)).escalated == 2


def test_expired_overrides_are_marked_and_audited(engine, session, overdue_setup):
    set_override(session, "C1", "b", DUE, "pilot", "boss", today=LOCAL_START)
    session.commit()
    assert maintain(engine, DUE).overrides_expired == 0
    assert maintain(engine, DUE + dt.timedelta(days=1)).overrides_expired == 1
    fresh(session)
    assert session.scalar(select(SegmentOverride.status)) == "expired"
    assert session.scalar(select(AuditEntry.actor).where(
        AuditEntry.action == "override.expire")) == "kamflow maintenance"


def test_a_missing_next_occurrence_is_restored(engine, session, overdue_setup):
    visit = tasks_of(session, "C1")[0]
    # Marked done outside kamflow (no next occurrence was made).
    done_at = utcnow()
    done_on = done_at.astimezone(ZoneInfo("Asia/Shanghai")).date()
    session.execute(update(Task).where(Task.id == visit.id)
                    .values(status="done", completed_at=done_at))
    fresh(session)
    assert maintain(engine, done_on).occurrences_created == 1
    restored = tasks_of(session, "C1", status="open")
    assert [(t.previous_task_id, t.due_date) for t in restored] == [
        (visit.id, done_on + dt.timedelta(days=7))]
    assert maintain(engine, done_on).occurrences_created == 0
    # Long after, a completion is no longer looked at.
    session.execute(update(Task).where(Task.id == restored[0].id)
                    .values(status="done", completed_at=done_at))
    fresh(session)
    assert maintain(engine, done_on + dt.timedelta(days=32)).occurrences_created == 0
