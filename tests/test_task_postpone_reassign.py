"""Postponing and reassigning a task in the engine: validation, state, policy and audit."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from engine.access import Viewer
from engine.db import transaction
from engine.errors import InvalidInput, NotFound
from engine.models import AuditEntry, Notification, Task, User
from engine.tasks.postpone import PostponeStateError, postpone_task
from engine.tasks.reassign import (AssigneeRefused, ReassignNotPermitted, ReassignStateError,
                                   reassign_task)
from web_world import _world_snapshot, world  # noqa: F401  (fixtures)

TODAY = dt.date(2026, 10, 5)


def viewer(session, username: str) -> Viewer:
    return Viewer.of(session.scalar(select(User).where(User.username == username)))


def entries(session, task_id: int) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(
        AuditEntry.object_type == "task", AuditEntry.object_id == str(task_id))))


def test_postpone_records_old_and_new_due_date(engine, world):
    task_id = world.tasks["r1"]
    with transaction(engine) as session:
        old = session.get(Task, task_id).due_date
        task = postpone_task(session, task_id, "r1", TODAY + dt.timedelta(days=3), " 出差 ",
                             today=TODAY)
        assert task.due_date == TODAY + dt.timedelta(days=3)
        [entry] = entries(session, task_id)
    assert (entry.action, entry.actor) == ("task.postpone", "r1")
    assert entry.details == {"from": old.isoformat(), "to": "2026-10-08", "reason": "出差"}


@pytest.mark.parametrize("due, reason, paths", [
    (TODAY - dt.timedelta(days=1), "x", ["due_date"]),
    (None, "x", ["due_date"]),
    (TODAY, "   ", ["reason"]),
    (TODAY - dt.timedelta(days=1), "", ["due_date", "reason"]),
    (TODAY, "x" * 501, ["reason"]),
])
def test_postpone_refuses_past_dates_and_missing_reasons(engine, world, due, reason, paths):
    task_id = world.tasks["r1"]
    with transaction(engine) as session:
        before = session.get(Task, task_id).due_date
        with pytest.raises(InvalidInput) as refused:
            postpone_task(session, task_id, "r1", due, reason, today=TODAY)
        assert [p.path for p in refused.value.problems] == paths
        assert session.get(Task, task_id).due_date == before and entries(session, task_id) == []


def test_postpone_today_is_allowed_and_closed_tasks_are_refused(engine, world):
    task_id = world.tasks["r1"]
    with transaction(engine) as session:
        assert postpone_task(session, task_id, "r1", TODAY, "x", today=TODAY).due_date == TODAY
        session.execute(update(Task).where(Task.id == task_id).values(status="done"))
        session.expire_all()
        with pytest.raises(PostponeStateError):
            postpone_task(session, task_id, "r1", TODAY, "x", today=TODAY)
        with pytest.raises(NotFound):
            postpone_task(session, 999_999, "r1", TODAY, "x", today=TODAY)


def test_reassign_within_the_team_is_audited_and_notified(engine, world):
    task_id = world.tasks["r1"]
    with transaction(engine) as session:
        task = reassign_task(session, task_id, viewer(session, "m1"), "s1")
        assert task.assignee_id == world.users["s1"]
        [entry] = entries(session, task_id)
        notice = session.scalar(select(Notification).where(
            Notification.user_id == world.users["s1"], Notification.kind == "task.assigned"))
    assert (entry.action, entry.actor, entry.details) == ("task.reassign", "m1",
                                                          {"from": "r1", "to": "s1"})
    assert notice.payload["task_id"] == task_id and notice.subject.startswith("新任务")


def test_reassign_refusals(engine, world):
    task_id = world.tasks["r1"]
    with transaction(engine) as session:
        m1 = viewer(session, "m1")
        for role_user in ("r1", "s1"):
            with pytest.raises(ReassignNotPermitted):
                reassign_task(session, task_id, viewer(session, role_user), "m1")
        with pytest.raises(AssigneeRefused) as outside:
            reassign_task(session, task_id, m1, "r2")
        assert outside.value.reason == "outside"
        with pytest.raises(AssigneeRefused) as unknown:
            reassign_task(session, task_id, m1, "nobody")
        assert unknown.value.reason == "outside"
        with pytest.raises(AssigneeRefused) as same:
            reassign_task(session, task_id, m1, "r1")
        assert same.value.reason == "same"
        with pytest.raises(NotFound):
            reassign_task(session, world.tasks["r2"], m1, "m1")
        session.execute(update(User).where(User.username == "s1").values(active=False))
        with pytest.raises(AssigneeRefused) as inactive:
            reassign_task(session, task_id, m1, "s1")
        assert inactive.value.reason == "inactive"
        session.execute(update(Task).where(Task.id == task_id).values(status="cancelled"))
        session.expire_all()
        with pytest.raises(ReassignStateError):
            reassign_task(session, task_id, m1, "m1")
        assert session.get(Task, task_id).assignee_id == world.users["r1"]
        assert entries(session, task_id) == []


def test_admin_reassigns_across_teams(engine, world):
    with transaction(engine) as session:
        task = reassign_task(session, world.tasks["r2"], viewer(session, "admin"), "r1")
        assert task.assignee_id == world.users["r1"]
