"""Daily task maintenance, run by the scheduler: expire overrides, restore missing recurring
occurrences, tell people about overdue tasks and escalate long-overdue ones to managers.

Safe to run more than once a day: the day's overdue digest is sent once (an audit entry marks
the day), a task is escalated once (an audit entry per task), and the other steps only change
what still needs changing.
"""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, String, and_, cast, exists, func, insert, select
from sqlalchemy.orm import Session, aliased

from engine import audit
from engine.config import load_settings
from engine.db import transaction
from engine.models import AuditEntry, Notification, Task, User, WorkflowState, utcnow
from engine.overrides import expire_overrides
from engine.tasks.assignees import OPEN_STATUSES
from engine.tasks.completion import next_occurrence
from engine.tasks.notices import (SAMPLE_SIZE, TASK_ESCALATED, TASK_OVERDUE, notification,
                                  people_then_admins, subject)

ACTOR = "kamflow maintenance"
DAY_DONE = "tasks.maintained"
ESCALATED = "task.escalated"
DEFAULT_ESCALATE_AFTER_DAYS = 3
# How far back maintenance looks for a completed occurrence that lacks its successor: the
# daily job then reads a month of completions, not every task ever done.
RESTORE_WINDOW_DAYS = 31


@dataclass
class MaintenanceReport:
    """What one day's maintenance did."""

    today: dt.date
    overrides_expired: int = 0
    occurrences_created: int = 0
    overdue: int = 0
    overdue_notified: int = 0
    escalated: int = 0
    digest_already_sent: bool = False


def escalate_after_days() -> int:
    """``ESCALATE_AFTER_DAYS`` from ``KAMFLOW_ESCALATE_AFTER_DAYS`` or ``instance/config.py``."""
    settings = load_settings()
    value = (os.environ.get("KAMFLOW_ESCALATE_AFTER_DAYS")
             or settings.extra.get("ESCALATE_AFTER_DAYS") or DEFAULT_ESCALATE_AFTER_DAYS)
    return int(value)


def maintain(engine: Engine, today: dt.date | None = None, *,
             escalate_after: int | None = None) -> MaintenanceReport:
    """The day's maintenance (``today`` defaults to today in the configured time zone)."""
    if today is None:
        today = utcnow().astimezone(ZoneInfo(load_settings().timezone)).date()
    days = escalate_after if escalate_after is not None else escalate_after_days()
    report = MaintenanceReport(today)
    with transaction(engine) as session:
        report.overrides_expired = expire_overrides(session, today, ACTOR)
        report.occurrences_created = restore_occurrences(session, today)
        report.overdue = session.scalar(select(func.count()).select_from(Task)
                                        .where(*_overdue(today)))
        if _day_done(session, today):
            report.digest_already_sent = True
        else:
            report.overdue_notified = _notify_overdue(session, today)
            audit.record(session, ACTOR, DAY_DONE, "maintenance", today.isoformat(),
                         {"overdue": report.overdue})
        report.escalated = _escalate(session, today, days)
    return report


def _overdue(today: dt.date, days: int = 0):
    return Task.status.in_(OPEN_STATUSES), Task.due_date < today - dt.timedelta(days=days)


def restore_occurrences(session: Session, today: dt.date) -> int:
    """Create the next occurrence of recurring tasks completed (in the last
    ``RESTORE_WINDOW_DAYS``) while their customer was in the task's segment, and still is,
    that have none: e.g. marked done outside kamflow."""
    later, other = aliased(Task), aliased(Task)
    since = dt.datetime.combine(today - dt.timedelta(days=RESTORE_WINDOW_DAYS), dt.time(),
                                dt.timezone.utc)
    query = (select(Task).join(WorkflowState, and_(
                WorkflowState.workflow_id == Task.workflow_id,
                WorkflowState.customer_id == Task.customer_id,
                WorkflowState.state == Task.segment,
                WorkflowState.entered_at <= Task.completed_at))
             .where(Task.recurring.is_(True), Task.status == "done", Task.completed_at >= since,
                    ~exists().where(later.previous_task_id == Task.id),
                    ~exists().where(other.workflow_id == Task.workflow_id,
                                    other.customer_id == Task.customer_id,
                                    other.template == Task.template,
                                    other.status.in_(OPEN_STATUSES)))
             .order_by(Task.id))
    timezone = ZoneInfo(load_settings().timezone)
    created = 0
    for task in session.scalars(query).all():
        done_on = task.completed_at.astimezone(timezone).date()
        session.add(next_occurrence(session, task, done_on + dt.timedelta(days=task.every_days),
                                    utcnow()))
        created += 1
    session.flush()
    return created


def _day_done(session: Session, today: dt.date) -> bool:
    return session.scalar(select(AuditEntry.id).where(
        AuditEntry.object_type == "maintenance", AuditEntry.object_id == today.isoformat(),
        AuditEntry.action == DAY_DONE)) is not None


def _locales(session: Session) -> dict[int, str]:
    return {user: locale for user, locale in session.execute(select(User.id, User.locale))}


def _notify_overdue(session: Session, today: dt.date) -> int:
    """One notification per assignee with overdue tasks (the admins for unassigned ones)."""
    rows = session.execute(select(Task.assignee_id, func.count(), func.min(Task.due_date))
                           .where(*_overdue(today)).group_by(Task.assignee_id)).all()
    locales = _locales(session)
    notices = [notification(assignee, TASK_OVERDUE,
                            subject(TASK_OVERDUE, locales.get(assignee), count=count),
                            {"count": count, "oldest_due": oldest.isoformat(),
                             "as_of": today.isoformat()})
               for assignee, count, oldest in sorted(rows, key=people_then_admins)]
    if notices:
        session.execute(insert(Notification.__table__), notices)
    return len(notices)


def _escalate(session: Session, today: dt.date, days: int) -> int:
    """Tell the assignee's manager (the admins when there is none) about each task overdue by
    ``days`` or more, once per task."""
    manager = aliased(User)
    escalated_before = exists().where(AuditEntry.object_type == "task",
                                      AuditEntry.action == ESCALATED,
                                      AuditEntry.object_id == cast(Task.id, String))
    rows = session.execute(
        select(Task.id, Task.due_date, Task.assignee_id, manager.id)
        .outerjoin(User, User.id == Task.assignee_id)
        .outerjoin(manager, and_(manager.id == User.manager_id, manager.active.is_(True)))
        .where(*_overdue(today, days - 1), ~escalated_before)
        .order_by(Task.id)).all()
    by_manager: dict[int | None, list] = {}
    for task_id, due, _assignee, manager_id in rows:
        by_manager.setdefault(manager_id, []).append((task_id, due))
    _send_escalations(session, by_manager, days)
    at = utcnow()
    if rows:
        session.execute(insert(AuditEntry.__table__), [
            {"at": at, "actor": ACTOR, "action": ESCALATED, "object_type": "task",
             "object_id": str(task_id), "details": {"manager_id": manager_id,
                                                    "due_date": due.isoformat()}}
            for task_id, due, _assignee, manager_id in rows])
    return len(rows)


def _send_escalations(session: Session, by_manager: dict, days: int) -> None:
    locales = _locales(session)
    notices = [notification(manager_id, TASK_ESCALATED,
                            subject(TASK_ESCALATED, locales.get(manager_id), count=len(tasks),
                                    days=days),
                            {"count": len(tasks), "days_overdue": days,
                             "task_ids": [t for t, _ in tasks[:SAMPLE_SIZE]]})
               for manager_id, tasks in sorted(by_manager.items(), key=people_then_admins)]
    if notices:
        session.execute(insert(Notification.__table__), notices)
