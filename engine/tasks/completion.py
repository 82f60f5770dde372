"""What completing a task leaves behind: a visit fact, and a recurring task's next occurrence."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session
from transitions import EventData

from engine.definitions.published import build_spec
from engine.definitions.workflow_specs import TaskTemplate
from engine.models import (Customer, DefinitionVersion, Notification, Task, User, Visit,
                           WorkflowState)
from engine.tasks.assignees import OPEN_STATUSES, OpenTaskCounts, Staff, TemplateAssigner
from engine.tasks.lifecycle import COMPLETE, TaskMove, after
from engine.tasks.notices import (NEW_TASK, TASK_ASSIGNED, TASK_UNASSIGNED, UNASSIGNED_TASK,
                                  subject)
from engine.text import pick_text

# Task kinds whose completion is a contact with the customer (SPEC §3.4).
VISIT_KINDS = ("visit", "call")


@after(COMPLETE)
def record_visit(event: EventData) -> None:
    """A completed visit or call task becomes a visit fact (one per task)."""
    move: TaskMove = event.model
    task = move.task
    if task.kind not in VISIT_KINDS:
        return
    rep_id = move.session.scalar(select(User.id).where(User.username == move.actor))
    visit = Visit(visit_id=f"task-{task.id}", customer_id=task.customer_id,
                  rep_id=rep_id if rep_id is not None else task.assignee_id, date=move.day,
                  channel=task.channel or task.kind, task_id=task.id)
    move.session.add(visit)
    move.results["visit"] = visit


@after(COMPLETE)
def create_next_occurrence(event: EventData) -> None:
    """Completing a recurring task creates the next one, due ``every_days`` after completion,
    while the customer is still in the segment the task belongs to."""
    move: TaskMove = event.model
    task, session = move.task, move.session
    if not task.recurring or not task.every_days or not _still_in_segment(session, task):
        return
    if _has_open_occurrence(session, task):
        return
    following = next_occurrence(session, task, move.day + dt.timedelta(days=task.every_days),
                                move.at)
    session.add(following)
    session.flush()
    session.add(_assignment_notice(session, following))
    move.results["next"] = following


def next_occurrence(session: Session, task: Task, due: dt.date, at: dt.datetime) -> Task:
    """The occurrence after ``task``: same template, segment and assignee (while active)."""
    return Task(
        workflow_id=task.workflow_id, workflow_version_id=task.workflow_version_id,
        customer_id=task.customer_id, run_id=task.run_id, template=task.template,
        segment=task.segment, previous_segment=task.previous_segment, title=dict(task.title),
        kind=task.kind, channel=task.channel, priority=task.priority, recurring=True,
        every_days=task.every_days, assignee_id=_next_assignee(session, task), status="open",
        due_date=due, created_at=at, previous_task_id=task.id,
        idempotency_key=f"next:{task.id}")


def _still_in_segment(session: Session, task: Task) -> bool:
    state = session.scalar(select(WorkflowState.state).where(
        WorkflowState.workflow_id == task.workflow_id,
        WorkflowState.customer_id == task.customer_id))
    return state is not None and state == task.segment


def _has_open_occurrence(session: Session, task: Task) -> bool:
    return session.scalar(select(Task.id).where(
        Task.workflow_id == task.workflow_id, Task.customer_id == task.customer_id,
        Task.template == task.template, Task.status.in_(OPEN_STATUSES),
        Task.id != task.id).limit(1)) is not None


def _next_assignee(session: Session, task: Task) -> int | None:
    """The same assignee while active; otherwise the template's rule, as of the task's version."""
    current = session.get(User, task.assignee_id) if task.assignee_id else None
    if current is not None and current.active:
        return current.id
    template = _template_of(session, task)
    if template is None:
        return None
    owner_id = session.scalar(select(Customer.owner_id).where(Customer.id == task.customer_id))
    assigner = TemplateAssigner(template.assignee, Staff.load(session),
                                OpenTaskCounts.load(session))
    chosen = assigner.resolve(owner_id)
    return chosen.id if chosen else None


def _template_of(session: Session, task: Task) -> TaskTemplate | None:
    version = (session.get(DefinitionVersion, task.workflow_version_id)
               if task.workflow_version_id else None)
    if version is None:
        return None
    spec = build_spec("workflow", version.content, version.id)
    return next((t for t in spec.tasks if t.id == task.template), None)


def _assignment_notice(session: Session, task: Task) -> Notification:
    """Tell the assignee about a single new task, or the admins when it has none."""
    user = session.get(User, task.assignee_id) if task.assignee_id else None
    locale = user.locale if user else None
    values = {"title": pick_text(task.title, locale), "due": task.due_date.isoformat()}
    payload = {"task_id": task.id, "workflow_id": task.workflow_id,
               "customer_id": task.customer_id, "template": task.template,
               "due_date": task.due_date.isoformat()}
    if user is None:
        return Notification(user_id=None, kind=TASK_UNASSIGNED, payload=payload,
                            subject=subject(UNASSIGNED_TASK, None, **values))
    return Notification(user_id=user.id, kind=TASK_ASSIGNED, payload=payload,
                        subject=subject(NEW_TASK, locale, **values))
