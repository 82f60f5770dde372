"""Reassigning a task: a manager (or an admin) hands a task to someone they answer for.

The task must be one the actor sees and the new assignee an active user the actor may pick
(``engine.access``); the move is audited and the new assignee notified.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import access, audit
from engine.errors import Conflict, KamflowError, NotFound
from engine.models import Notification, Task, User
from engine.tasks.assignees import OPEN_STATUSES
from engine.tasks.notices import NEW_TASK, TASK_ASSIGNED, subject
from engine.text import pick_text


class ReassignNotPermitted(KamflowError, PermissionError):
    """The actor's role may not reassign tasks."""

    def __init__(self, viewer: access.Viewer):
        super().__init__(f"a {viewer.role} may not reassign tasks")


class AssigneeRefused(KamflowError, ValueError):
    """The chosen assignee cannot take the task; ``reason`` says why (``outside``: not someone
    the actor may pick, or unknown; ``inactive``; ``same``: already the assignee)."""

    def __init__(self, reason: str, username: str):
        self.reason, self.username = reason, username
        texts = {"outside": f"{username!r} is not someone you may assign tasks to",
                 "inactive": f"{username!r} is not active",
                 "same": f"the task is already assigned to {username!r}"}
        super().__init__(texts[reason])


class ReassignStateError(Conflict):
    """Only an open or in-progress task can change hands."""

    def __init__(self, task: Task):
        super().__init__(f"task {task.id} is {task.status}; only "
                         f"{', '.join(OPEN_STATUSES)} tasks can be reassigned")


def reassign_task(session: Session, task_id: int, viewer: access.Viewer,
                  username: str) -> Task:
    """Assign task ``task_id`` to ``username`` on behalf of ``viewer``.

    Raises ``ReassignNotPermitted`` for a role that may not, ``NotFound`` for a task the viewer
    does not see, ``ReassignStateError`` for a closed task, ``AssigneeRefused`` otherwise."""
    if not access.may(viewer, access.REASSIGNS_TASKS):
        raise ReassignNotPermitted(viewer)
    task = session.scalar(select(Task).where(Task.id == task_id, access.tasks(viewer))
                          .with_for_update())
    if task is None:
        raise NotFound("task", task_id)
    if task.status not in OPEN_STATUSES:
        raise ReassignStateError(task)
    user = session.scalar(select(User).where(User.username == username, access.users(viewer)))
    if user is None:
        raise AssigneeRefused("outside", username)
    if not user.active:
        raise AssigneeRefused("inactive", username)
    if user.id == task.assignee_id:
        raise AssigneeRefused("same", username)
    previous = session.scalar(select(User.username).where(User.id == task.assignee_id)) \
        if task.assignee_id else None
    task.assignee_id = user.id
    audit.record(session, viewer.username, "task.reassign", "task", task.id,
                 {"from": previous, "to": user.username})
    session.add(_notice(task, user))
    session.flush()
    return task


def _notice(task: Task, user: User) -> Notification:
    values = {"title": pick_text(task.title, user.locale), "due": task.due_date.isoformat()}
    payload = {"task_id": task.id, "workflow_id": task.workflow_id,
               "customer_id": task.customer_id, "template": task.template,
               "due_date": task.due_date.isoformat(), "reassigned": True}
    return Notification(user_id=user.id, kind=TASK_ASSIGNED, payload=payload,
                        subject=subject(NEW_TASK, user.locale, **values))
