"""The demo's history: quarterly runs that look as if they had run on their dates, and reps
working their tasks between them.

- ``backdate``: a run of a past quarter is made today, so its tasks would be due from today;
  everything the run wrote (the run's times, its tasks' creation and due dates, cancellations,
  segment entries, notifications) moves back to the quarter's date.
- ``work_tasks``: between two runs, reps close the tasks due before the next one as their SOP
  habit says (``engine.demo.staff.sop_habit``): a diligent rep most, a lax one few. Which
  tasks are closed is a function of the task's id, so the demo stays repeatable; closed tasks
  are marked done on their due date, a batch of rows per UPDATE.
"""
from __future__ import annotations

import datetime as dt
import zlib

from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select, update

from engine.db import transaction
from engine.demo.staff import task_completion_share
from engine.models import EvaluationRun, Notification, Task, User, WorkflowState

OPEN_STATUSES = ("open", "in_progress")
BATCH = 500
WORKDAY_HOUR = 10


def work_tasks(engine: Engine, until: dt.date, actor: str) -> int:
    """Close the tasks due before ``until`` that their assignees' habits close; how many."""
    with transaction(engine) as session:
        due = session.execute(
            select(Task.id, Task.due_date, User.username)
            .join(User, User.id == Task.assignee_id)
            .where(Task.status.in_(OPEN_STATUSES), Task.due_date < until)).all()
        done = [(task_id, day, username) for task_id, day, username in due
                if _chance(task_id) < task_completion_share(username)]
        rows = [{"id": task_id, "status": "done", "completed_by": username,
                 "note": f"{actor}: done as planned",
                 "completed_at": dt.datetime.combine(day, dt.time(WORKDAY_HOUR), tzinfo=dt.UTC)}
                for task_id, day, username in done]
        for start in range(0, len(rows), BATCH):       # ORM bulk UPDATE by primary key
            session.execute(update(Task), rows[start:start + BATCH])
    return len(done)


def _chance(task_id: int) -> float:
    """A repeatable number in [0, 1) for a task."""
    return (zlib.crc32(str(task_id).encode()) % 1000) / 1000


RUN_HOUR = 2        # scheduled runs start at night
# Everything a run writes "now", by table: moved back with the run.
WRITTEN_AT = ((Task, "created_at"), (Task, "cancelled_at"), (WorkflowState, "entered_at"),
              (Notification, "created_at"))


def backdate(engine: Engine, run_id: int, as_of: dt.date, timezone: str) -> None:
    """Move what run ``run_id`` wrote back to ``as_of`` (a past quarter's date)."""
    with transaction(engine) as session:
        run = session.get(EvaluationRun, run_id)
        then = dt.datetime.combine(as_of, dt.time(RUN_HOUR), tzinfo=ZoneInfo(timezone))
        shift = run.started_at - then
        if shift <= dt.timedelta(0):
            return
        since = run.started_at
        for model, name in WRITTEN_AT:
            column = getattr(model, name)
            rows = [{"id": row_id, name: moment - shift} for row_id, moment in session.execute(
                select(model.id, column).where(column >= since))]
            for start in range(0, len(rows), BATCH):
                session.execute(update(model), rows[start:start + BATCH])
        days = dt.timedelta(days=shift.days)
        rows = [{"id": task_id, "due_date": due - days} for task_id, due in session.execute(
            select(Task.id, Task.due_date).where(Task.run_id == run_id))]
        for start in range(0, len(rows), BATCH):
            session.execute(update(Task), rows[start:start + BATCH])
        run.started_at -= shift
        run.finished_at = run.finished_at - shift if run.finished_at else None
