"""A task's lifecycle as a ``transitions`` machine: open → in_progress → done | cancelled.

One machine serves every task; a task joins it as a model only for the move it makes. What a
move records (who and when, the visit fact, the next occurrence) is a callback registered here
by name, never a string from a definition.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy.orm import Session
from transitions import EventData, Machine, MachineError

from engine.errors import Conflict
from engine.models import TASK_STATUSES, Task

START, COMPLETE, CANCEL = "start", "complete", "cancel"
TRANSITIONS = (
    {"trigger": START, "source": ["open"], "dest": "in_progress"},
    {"trigger": COMPLETE, "source": ["open", "in_progress"], "dest": "done"},
    {"trigger": CANCEL, "source": ["open", "in_progress"], "dest": "cancelled"},
)


class TaskStateError(Conflict):
    """A task was asked to make a move its status does not allow."""

    def __init__(self, task: Task, trigger: str):
        allowed = ", ".join(sources_of(trigger))
        super().__init__(f"task {task.id} is {task.status}; only {allowed} tasks can be "
                         f"{PAST[trigger]}")


PAST = {START: "started", COMPLETE: "completed", CANCEL: "cancelled"}


def sources_of(trigger: str) -> tuple[str, ...]:
    """The statuses ``trigger`` may leave (used by set-based updates too)."""
    return tuple(s for t in TRANSITIONS if t["trigger"] == trigger for s in t["source"])


@dataclass
class TaskMove:
    """A task in the machine with what its move needs: the session, who, when, and why."""

    task: Task
    session: Session
    actor: str
    at: dt.datetime
    day: dt.date                     # ``at`` in the configured time zone
    note: str | None = None
    results: dict = field(default_factory=dict)

    @property
    def status(self) -> str:
        return self.task.status

    @status.setter
    def status(self, value: str) -> None:
        self.task.status = value


Callback = Callable[[EventData], None]
CALLBACKS: dict[str, list[Callback]] = {START: [], COMPLETE: [], CANCEL: []}


def after(trigger: str):
    """Register a callback run after ``trigger`` has changed a task's status."""

    def register(function: Callback) -> Callback:
        CALLBACKS[trigger].append(function)
        return function

    return register


@after(START)
def _record_start(event: EventData) -> None:
    event.model.task.started_at = event.model.at


@after(COMPLETE)
def _record_completion(event: EventData) -> None:
    move: TaskMove = event.model
    move.task.completed_at, move.task.completed_by = move.at, move.actor
    if move.note is not None:
        move.task.note = move.note


@after(CANCEL)
def _record_cancellation(event: EventData) -> None:
    move: TaskMove = event.model
    move.task.cancelled_at, move.task.cancel_reason = move.at, move.note


def _machine() -> Machine:
    transitions = [dict(t, after=lambda event, name=t["trigger"]: _run_callbacks(name, event))
                   for t in TRANSITIONS]
    return Machine(model=None, states=list(TASK_STATUSES), initial="open",
                   transitions=transitions, auto_transitions=False, send_event=True,
                   model_attribute="status")


def _run_callbacks(trigger: str, event: EventData) -> None:
    for callback in CALLBACKS[trigger]:
        callback(event)


MACHINE = _machine()


def move_task(move: TaskMove, trigger: str) -> None:
    """Make ``trigger``'s move on ``move.task`` or raise ``TaskStateError``."""
    MACHINE.add_model(move, initial=move.task.status)
    try:
        getattr(move, trigger)()
    except MachineError:
        raise TaskStateError(move.task, trigger) from None
    finally:
        MACHINE.remove_model(move)
