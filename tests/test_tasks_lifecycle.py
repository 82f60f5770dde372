"""A task's lifecycle: open → in_progress → done | cancelled, and what completion leaves."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from engine.errors import Conflict, NotFound
from engine.models import Notification, Visit
from engine.tasks import cancel_task, complete_task, start_task
from engine.workflows import apply_run
from tests.workflow_support import (LOCAL_START, RUN_START, add_customer, add_user, fresh,
                                    install, store_run, summary, tasks_of, template, workflow)

UTC = dt.timezone.utc
# 2026-03-10 20:00 UTC is 2026-03-11 in Asia/Shanghai.
DONE_AT = dt.datetime(2026, 3, 10, 20, 0, tzinfo=UTC)
DONE_DAY = dt.date(2026, 3, 11)


@pytest.fixture
def classified(engine, session, tmp_path):
    """C1 in segment a with a recurring visit, a one-off plan and a recurring call."""
    add_user(session, "admin", "admin")
    add_user(session, "rep1", "rep", team="north")
    add_user(session, "rep2", "rep", team="north")
    session.commit()
    wf = workflow(on_enter={"a": ["visit", "plan", "call"], "b": ["plan"]},
                  tasks={"visit": template("visit", channel="face_to_face", every_days=7),
                         "plan": template("plan"),
                         "call": template("call", every_days=30,
                                          assignee={"role": "rep", "team": "north"})})
    install(engine, tmp_path / "pack", wf)
    add_customer(session, "C1", "rep1")
    session.commit()
    apply_run(engine, store_run(engine, {"C1": "a"}))
    return {t.template: t.id for t in tasks_of(session)}


def test_start_then_complete_records_who_when_and_the_note(session, classified):
    started = start_task(session, classified["plan"], "rep1", at=RUN_START)
    assert (started.status, started.started_at) == ("in_progress", RUN_START)
    done = complete_task(session, classified["plan"], "rep1", note="agreed", at=DONE_AT)
    session.commit()
    task = tasks_of(session, template="plan")[0]
    assert (task.status, task.completed_by, task.completed_at, task.note) == (
        "done", "rep1", DONE_AT, "agreed")
    assert done.visit is None and done.next_task is None       # a plan: no visit, one-off


@pytest.mark.parametrize("first, then, message", [
    (complete_task, complete_task, "task {} is done; only open, in_progress tasks can be "
                                   "completed"),
    (cancel_task, start_task, "task {} is cancelled; only open tasks can be started"),
    (start_task, start_task, "task {} is in_progress; only open tasks can be started"),
])
def test_moves_the_status_does_not_allow_are_refused(session, classified, first, then,
                                                     message):
    task_id = classified["plan"]
    extra = ("because",) if first is cancel_task else ()
    first(session, task_id, "rep1", *extra)
    with pytest.raises(Conflict, match=message.format(task_id)):
        then(session, task_id, "rep1")
    with pytest.raises(NotFound, match="no task 999"):
        complete_task(session, 999, "rep1")


def test_cancel_records_the_reason_and_who(session, classified):
    task = cancel_task(session, classified["plan"], "rep2", "duplicate", at=DONE_AT)
    assert (task.status, task.cancelled_at, task.cancel_reason) == (
        "cancelled", DONE_AT, "duplicate (by rep2)")


def test_completing_a_recurring_task_creates_the_next_occurrence(session, classified):
    result = complete_task(session, classified["visit"], "rep1", at=DONE_AT)
    session.commit()
    following = result.next_task
    assert (following.template, following.segment, following.status, following.due_date,
            following.assignee.username, following.previous_task_id) == (
        "visit", "a", "open", DONE_DAY + dt.timedelta(days=7), "rep1", classified["visit"])
    notice = session.scalars(select(Notification).where(
        Notification.payload["task_id"].as_integer() == following.id)).one()
    assert (notice.kind, notice.user.username) == ("task.assigned", "rep1")
    assert notice.subject == f"New task: Task for Clinic C1 (due {following.due_date})"
    # Completing the same occurrence again is refused, so there is never a second next one.
    with pytest.raises(Conflict):
        complete_task(session, classified["visit"], "rep1")


def test_no_next_occurrence_once_the_customer_left_the_segment(engine, session, classified):
    start_task(session, classified["call"], "rep1")
    session.commit()
    apply_run(engine, store_run(engine, {"C1": "b"}, started_at=RUN_START + dt.timedelta(30)))
    # The in-progress call was left to finish; finishing it creates nothing more.
    result = complete_task(session, classified["call"], "rep1", at=DONE_AT)
    session.commit()
    assert result.next_task is None
    assert summary(tasks_of(session, template="call")) == [("call", "a", "done")]


def test_a_visit_or_call_task_records_a_visit_fact(session, classified):
    complete_task(session, classified["visit"], "cli:ops", at=DONE_AT)
    complete_task(session, classified["call"], "rep2", at=DONE_AT)
    complete_task(session, classified["plan"], "rep1", at=DONE_AT)
    fresh(session)
    visits = session.scalars(select(Visit).order_by(Visit.id)).all()
    assert [(v.visit_id, v.customer.code, v.rep.username, v.date, v.channel, v.task_id)
            for v in visits] == [
        (f"task-{classified['visit']}", "C1", "rep1", DONE_DAY, "face_to_face",
         classified["visit"]),
        (f"task-{classified['call']}", "C1", "rep2", DONE_DAY, "call", classified["call"])]


def test_the_next_occurrence_goes_to_the_rule_when_the_assignee_left(session, classified):
    call = tasks_of(session, template="call")[0]
    first = call.assignee.username
    call.assignee.active = False
    session.commit()
    result = complete_task(session, classified["call"], first, at=DONE_AT)
    assert result.next_task.assignee.username == ({"rep1", "rep2"} - {first}).pop()
    assert LOCAL_START < result.next_task.due_date
