"""Postponing a task: a new due date with a reason, in the audit log with the old and new date."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from engine import audit
from engine.config import load_settings
from engine.errors import Conflict, InvalidInput, NotFound, Problem
from engine.models import Task, utcnow
from engine.tasks.assignees import OPEN_STATUSES

POSTPONE = "postpone"
MAX_REASON = 500


class PostponeStateError(Conflict):
    """Only an open or in-progress task has a due date worth moving."""

    def __init__(self, task: Task):
        super().__init__(f"task {task.id} is {task.status}; only "
                         f"{', '.join(OPEN_STATUSES)} tasks can be postponed")


def local_today() -> dt.date:
    return utcnow().astimezone(ZoneInfo(load_settings().timezone)).date()


def postpone_problems(due_date: dt.date | None, reason: str | None,
                      today: dt.date) -> list[Problem]:
    """What is wrong with a postponement's input (empty when nothing is)."""
    problems = []
    if due_date is None:
        problems.append(Problem(path="due_date", message="a new due date is required"))
    elif due_date < today:
        problems.append(Problem(path="due_date",
                                message=f"{due_date.isoformat()} is in the past "
                                        f"(today is {today.isoformat()})"))
    text = (reason or "").strip()
    if not text:
        problems.append(Problem(path="reason", message="a reason is required"))
    elif len(text) > MAX_REASON:
        problems.append(Problem(path="reason",
                                message=f"the reason is longer than {MAX_REASON} characters"))
    return problems


def postpone_task(session: Session, task_id: int, actor: str, due_date: dt.date | None,
                  reason: str | None, today: dt.date | None = None) -> Task:
    """Move open task ``task_id`` to ``due_date`` (today or later) for ``reason``.

    Raises ``InvalidInput`` (paths ``due_date``, ``reason``), ``NotFound`` or
    ``PostponeStateError``; the audit entry keeps the old and the new due date."""
    task = session.get(Task, task_id, with_for_update=True)
    if task is None:
        raise NotFound("task", task_id)
    if task.status not in OPEN_STATUSES:
        raise PostponeStateError(task)
    problems = postpone_problems(due_date, reason, today or local_today())
    if problems:
        raise InvalidInput(problems, f"postponing task {task_id}")
    old = task.due_date
    task.due_date = due_date
    audit.record(session, actor, "task.postpone", "task", task.id,
                 {"from": old.isoformat(), "to": due_date.isoformat(),
                  "reason": reason.strip()})
    session.flush()
    return task
