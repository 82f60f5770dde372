"""The figures of each role's home page, computed in SQL through the visibility policy.

- a rep (and staff): their open tasks — overdue, due today, due this week — and the next few;
- a manager: their team's customers per segment in the latest run of each ruleset, the
  customers who moved in that run, overdue tasks per team member, pending challenges;
- an admin: the latest runs with their status and warnings, pending challenges.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import Connection, and_, case, func, select

from engine import access
from engine.access import Viewer
from engine.models import CustomerScore, EvaluationRun, SegmentOverride, Task, User

OPEN_STATUSES = ("open", "in_progress")
NEXT_TASKS = 5
LATEST_RUNS = 5


@dataclass(frozen=True)
class TaskFigures:
    overdue: int
    today: int
    this_week: int
    next_tasks: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class SegmentCount:
    segment: str | None
    customers: int
    moved_in: int            # of them, how many were in another segment in the run before


@dataclass(frozen=True)
class RulesetPicture:
    ruleset_id: str
    run_id: int
    as_of: dt.date
    segments: list[SegmentCount]


def task_figures(connection: Connection, viewer: Viewer, today: dt.date) -> TaskFigures:
    """The viewer's own open tasks by due date (a manager's and an admin's own, too)."""
    week_end = today + dt.timedelta(days=6 - today.weekday())
    mine = and_(access.tasks(viewer), Task.assignee_id == viewer.id,
                Task.status.in_(OPEN_STATUSES))
    counts = connection.execute(select(
        func.count().filter(Task.due_date < today),
        func.count().filter(Task.due_date == today),
        func.count().filter(and_(Task.due_date > today, Task.due_date <= week_end)),
    ).where(mine)).one()
    rows = connection.execute(
        select(Task.id, Task.title, Task.kind, Task.due_date)
        .where(mine).order_by(Task.due_date.is_(None), Task.due_date, Task.id)
        .limit(NEXT_TASKS)).mappings()
    return TaskFigures(*counts, next_tasks=[dict(row) for row in rows])


def _latest_runs(connection: Connection) -> list[tuple[str, int, dt.date]]:
    """(ruleset, run id, as_of) of the latest completed run of each ruleset."""
    latest = (select(EvaluationRun.ruleset_id, func.max(EvaluationRun.id).label("run_id"))
              .where(EvaluationRun.status == "completed")
              .group_by(EvaluationRun.ruleset_id).subquery())
    return [tuple(row) for row in connection.execute(
        select(latest.c.ruleset_id, latest.c.run_id, EvaluationRun.as_of)
        .join(EvaluationRun, EvaluationRun.id == latest.c.run_id)
        .order_by(latest.c.ruleset_id))]


def segment_pictures(connection: Connection, viewer: Viewer) -> list[RulesetPicture]:
    """Per ruleset, the viewer's customers per effective segment in its latest run."""
    pictures = []
    for ruleset_id, run_id, as_of in _latest_runs(connection):
        moved = and_(CustomerScore.previous_segment.is_not(None),
                     CustomerScore.previous_segment != CustomerScore.segment)
        rows = connection.execute(
            select(CustomerScore.effective_segment, func.count(),
                   func.sum(case((moved, 1), else_=0)))
            .where(CustomerScore.run_id == run_id,
                   CustomerScore.customer_id.in_(access.customer_ids(viewer)))
            .group_by(CustomerScore.effective_segment)
            .order_by(CustomerScore.effective_segment))
        segments = [SegmentCount(segment, count, int(moved_in or 0))
                    for segment, count, moved_in in rows]
        pictures.append(RulesetPicture(ruleset_id, run_id, as_of, segments))
    return pictures


def overdue_by_member(connection: Connection, viewer: Viewer, today: dt.date) -> list[dict]:
    """Overdue open tasks per assignee the viewer answers for, most first."""
    rows = connection.execute(
        select(User.username, User.name, func.count(Task.id).label("overdue"))
        .join(Task, Task.assignee_id == User.id)
        .where(access.tasks(viewer), Task.status.in_(OPEN_STATUSES), Task.due_date < today)
        .group_by(User.username, User.name)
        .order_by(func.count(Task.id).desc(), User.username)).mappings()
    return [dict(row) for row in rows]


def pending_challenges(connection: Connection, viewer: Viewer) -> int:
    """Challenges waiting for a decision on customers the viewer may see."""
    return connection.scalar(
        select(func.count()).select_from(SegmentOverride)
        .where(SegmentOverride.status == "pending",
               SegmentOverride.customer_id.in_(access.customer_ids(viewer))))


def latest_runs(connection: Connection, limit: int = LATEST_RUNS) -> list[dict]:
    """The latest runs of every ruleset: status, as_of, trigger, warnings, error."""
    rows = connection.execute(
        select(EvaluationRun.id, EvaluationRun.ruleset_id, EvaluationRun.as_of,
               EvaluationRun.status, EvaluationRun.trigger, EvaluationRun.started_at,
               EvaluationRun.warnings, EvaluationRun.error, EvaluationRun.counts)
        .order_by(EvaluationRun.id.desc()).limit(limit)).mappings()
    return [dict(row) for row in rows]
