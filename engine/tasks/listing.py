"""Reading tasks back: the rows of ``kamflow tasks list`` (SPEC §5)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from engine.errors import NotFound
from engine.models import TASK_STATUSES, Customer, Task, User
from engine.tasks.assignees import OPEN_STATUSES
from engine.text import pick_text

LIST_FIELDS = ("id", "customer_code", "workflow", "template", "segment", "previous_segment",
               "title", "kind", "recurring", "assignee", "status", "due_date", "run_id")


def list_tasks(session: Session, assignee: str | None = None, status: str | None = None,
               overdue_on: dt.date | None = None, locale: str | None = None
               ) -> list[dict[str, Any]]:
    """Tasks as rows of ``LIST_FIELDS``, by due date then id; every status unless one is
    given; ``overdue_on``: only open or in-progress tasks due before that day."""
    user = aliased(User)
    query = (select(Task, Customer.code, user.username)
             .join(Customer, Customer.id == Task.customer_id)
             .outerjoin(user, user.id == Task.assignee_id)
             .order_by(Task.due_date, Task.id))
    if assignee is not None:
        query = query.where(Task.assignee_id == _user_id(session, assignee))
    if status is not None:
        if status not in TASK_STATUSES:
            raise NotFound("task status", status, list(TASK_STATUSES))
        query = query.where(Task.status == status)
    if overdue_on is not None:
        query = query.where(Task.status.in_(OPEN_STATUSES), Task.due_date < overdue_on)
    return [_row(task, code, username, locale) for task, code, username in session.execute(query)]


def _user_id(session: Session, username: str) -> int:
    found = session.scalar(select(User.id).where(User.username == username))
    if found is None:
        raise NotFound("user", username, list(session.scalars(select(User.username))))
    return found


def _row(task: Task, customer_code: str, assignee: str | None, locale: str | None) -> dict:
    return {"id": task.id, "customer_code": customer_code, "workflow": task.workflow_id,
            "template": task.template, "segment": task.segment,
            "previous_segment": task.previous_segment, "title": pick_text(task.title, locale),
            "kind": task.kind, "recurring": task.recurring, "assignee": assignee,
            "status": task.status, "due_date": task.due_date, "run_id": task.run_id}
