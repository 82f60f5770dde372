"""Notification rows the workflow engine writes; delivery (e-mail, webhook) reads them later.

``user_id`` NULL addresses every admin. ``email_status``/``webhook_status`` stay NULL, meaning
"not yet delivered", for the delivery worker.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, func, select

from engine.models import Customer, Task, utcnow
from engine.text import pick_text

DEFAULT_LOCALE = "zh"
SAMPLE_SIZE = 50
UNCLASSIFIED_LABEL = {"en": "unclassified", "zh": "未分类"}

SEGMENT_CHANGED = "segment.changed"
TASK_ASSIGNED = "task.assigned"
TASK_UNASSIGNED = "task.unassigned"
TASK_OVERDUE = "task.overdue"
TASK_ESCALATED = "task.escalated"
# Subject variants; a notification's ``kind`` is one of the five names above.
NEW_TASK, NEW_TASKS, UNASSIGNED_TASK, UNASSIGNED_TASKS = "one", "many", "one-none", "many-none"

SUBJECTS = {
    SEGMENT_CHANGED: {"en": "{customer} ({code}): {source} → {target}",
                      "zh": "{customer}({code}):{source} → {target}"},
    NEW_TASK: {"en": "New task: {title} (due {due})", "zh": "新任务:{title}(截止 {due})"},
    NEW_TASKS: {"en": "{count} new tasks from {workflow}", "zh": "{workflow}:{count} 项新任务"},
    UNASSIGNED_TASK: {"en": "A task has no assignee: {title} (due {due})",
                      "zh": "任务无人负责:{title}(截止 {due})"},
    UNASSIGNED_TASKS: {"en": "{count} new tasks from {workflow} have no assignee",
                       "zh": "{workflow}:{count} 项新任务无人负责"},
    TASK_OVERDUE: {"en": "{count} tasks are overdue", "zh": "{count} 项任务已逾期"},
    TASK_ESCALATED: {"en": "{count} tasks are {days}+ days overdue",
                     "zh": "{count} 项任务已逾期 {days} 天以上"},
}


def subject(variant: str, locale: str | None, **values: Any) -> str:
    """A subject line in ``locale`` (English when the locale has no translation)."""
    texts = SUBJECTS[variant]
    return texts.get(locale or DEFAULT_LOCALE, texts["en"]).format(**values)[:300]


def notification(user_id: int | None, kind: str, text: str, payload: dict,
                 at: dt.datetime | None = None) -> dict[str, Any]:
    """A row for a set-based insert into ``notifications``, created ``at`` (default: now)."""
    return {"user_id": user_id, "kind": kind, "subject": text, "body": "", "payload": payload,
            "created_at": at or utcnow()}


def task_digests(connection: Connection, run_id: int, workflow_id: str, workflow_title,
                 locales: dict[int, str], at: dt.datetime) -> list[dict[str, Any]]:
    """One notification per assignee of the tasks a run created in a workflow, and one to the
    admins for those nobody could take: one message per person, however many customers moved."""
    rows = connection.execute(
        select(Task.assignee_id, func.count(), func.min(Task.due_date))
        .where(Task.run_id == run_id, Task.workflow_id == workflow_id)
        .group_by(Task.assignee_id)).all()
    notices = []
    for assignee_id, count, first_due in sorted(rows, key=people_then_admins):
        base = {"run_id": run_id, "workflow_id": workflow_id, "count": count,
                "first_due": first_due.isoformat()}
        if assignee_id is None:
            base["tasks"] = _unassigned_sample(connection, run_id, workflow_id)
            text = subject(UNASSIGNED_TASKS, DEFAULT_LOCALE, count=count,
                           workflow=pick_text(workflow_title, DEFAULT_LOCALE))
            notices.append(notification(None, TASK_UNASSIGNED, text, base, at))
            continue
        locale = locales.get(assignee_id)
        text = subject(NEW_TASKS, locale, count=count,
                       workflow=pick_text(workflow_title, locale))
        notices.append(notification(assignee_id, TASK_ASSIGNED, text, base, at))
    return notices


def people_then_admins(row) -> tuple[bool, int]:
    """Rows keyed by user id in a stable order: by id, the admins' (user NULL) last."""
    return row[0] is None, row[0] or 0


def _unassigned_sample(connection: Connection, run_id: int, workflow_id: str) -> list[dict]:
    rows = connection.execute(
        select(Task.id, Customer.code, Task.template)
        .join(Customer, Customer.id == Task.customer_id)
        .where(Task.run_id == run_id, Task.workflow_id == workflow_id,
               Task.assignee_id.is_(None))
        .order_by(Task.id).limit(SAMPLE_SIZE))
    return [{"task_id": i, "customer_code": code, "template": t} for i, code, t in rows]
