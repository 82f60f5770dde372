"""Moving one task through its lifecycle on behalf of a person (CLI, web)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from engine.config import load_settings
from engine.errors import NotFound
from engine.models import Task, Visit, utcnow
from engine.tasks import completion  # noqa: F401  (registers the completion callbacks)
from engine.tasks.lifecycle import CANCEL, COMPLETE, START, TaskMove, move_task


@dataclass(frozen=True)
class Completion:
    """A completed task, the visit fact it recorded and the next occurrence it created."""

    task: Task
    visit: Visit | None
    next_task: Task | None


def _move(session: Session, task_id: int, trigger: str, actor: str, note: str | None,
          at: dt.datetime | None) -> TaskMove:
    task = session.get(Task, task_id, with_for_update=True)
    if task is None:
        raise NotFound("task", task_id)
    at = at or utcnow()
    day = at.astimezone(ZoneInfo(load_settings().timezone)).date()
    move = TaskMove(task, session, actor, at, day, note)
    move_task(move, trigger)
    session.flush()
    return move


def start_task(session: Session, task_id: int, actor: str,
               at: dt.datetime | None = None) -> Task:
    """open → in_progress, recording when."""
    return _move(session, task_id, START, actor, None, at).task


def complete_task(session: Session, task_id: int, actor: str, note: str | None = None,
                  at: dt.datetime | None = None) -> Completion:
    """open or in_progress → done, recording who, when and the note; a visit or call task
    records a visit fact, a recurring one its next occurrence."""
    move = _move(session, task_id, COMPLETE, actor, note, at)
    return Completion(move.task, move.results.get("visit"), move.results.get("next"))


def cancel_task(session: Session, task_id: int, actor: str, reason: str,
                at: dt.datetime | None = None) -> Task:
    """open or in_progress → cancelled, with the reason."""
    return _move(session, task_id, CANCEL, actor, f"{reason} (by {actor})", at).task
