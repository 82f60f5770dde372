"""The tasks a workflow would create and cancel for a classification that is not stored: the
moves from each customer's current workflow state to the segment a (dry) run gives, played
through the workflow engine's own machine and steps (``engine.workflows``) with nothing written.

The application is the one ``apply_run`` uses; only the two steps that build rows to write (a
task's row with its rendered title, a change notice) are replaced by a tally, and its batches'
writes are read, never flushed. Assignees are picked as the assignment would pick them now (the
same open-task counts, in the same customer-code order).
"""
from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.definitions.workflow_specs import WorkflowSpec
from engine.models import UNCLASSIFIED, Task, WorkflowState, utcnow
from engine.tasks.assignees import OPEN_STATUSES, OpenTaskCounts, Staff
from engine.workflows.application import Mover, OpenOccurrence, RunInfo, WorkflowApplication
from engine.workflows.segment_machine import SegmentMachine, machine_states

BATCH_SIZE = 2000
UNASSIGNED = ""          # the assignee key of a task nobody could be given


@dataclass(frozen=True)
class Customers:
    """Every customer's code, name and owner, by id (read once per preview)."""

    code: Mapping[int, str]
    name: Mapping[int, str]
    owner: Mapping[int, int | None]

    @classmethod
    def load(cls, session: Session) -> "Customers":
        from engine.models import Customer

        rows = session.execute(select(Customer.id, Customer.code, Customer.name,
                                      Customer.owner_id)).all()
        return cls({r[0]: r[1] for r in rows}, {r[0]: r[2] for r in rows},
                   {r[0]: r[3] for r in rows})


@dataclass(frozen=True)
class Classified:
    """What the moves are computed from: customers in scope and the segment each would have."""

    ruleset_id: str
    segment_ids: tuple[str, ...]
    segment_labels: Mapping[str, Mapping[str, str]]
    ids: np.ndarray
    segments: np.ndarray


@dataclass
class TaskTally:
    """One workflow's would-be consequences: moves, tasks created and cancelled."""

    workflow_id: str
    moved: int = 0
    created: dict = field(default_factory=lambda: defaultdict(Counter))    # template → assignee
    cancelled: dict = field(default_factory=lambda: defaultdict(Counter))
    kept: int = 0
    not_created_open: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"workflow": self.workflow_id, "moved": self.moved,
                "created": _plain(self.created), "cancelled": _plain(self.cancelled),
                "kept": self.kept, "not_created_open": self.not_created_open}


def _plain(table: Mapping[str, Counter]) -> dict[str, dict[str, int]]:
    return {template: dict(sorted(by_assignee.items()))
            for template, by_assignee in sorted(table.items())}


class PreviewApplication(WorkflowApplication):
    """``WorkflowApplication`` whose rows are tallies: no title rendered, no notice built."""

    def _task_row(self, data, template_id: str, assignee) -> dict[str, Any]:
        return {"template": template_id,
                "assignee": assignee.username if assignee is not None else UNASSIGNED}

    def _change_notice(self, mover, plan) -> None:
        return None


def tally_tasks(session: Session, specs: Sequence[WorkflowSpec], classified: Classified,
                customers: Customers, today: dt.date) -> list[dict[str, Any]]:
    """Each workflow's tally (in id order), sharing one set of open-task counts as a run does."""
    staff, counts = Staff.load(session), OpenTaskCounts.load(session)
    run = RunInfo(0, classified.ruleset_id, today, classified.segment_ids,
                  classified.segment_labels, utcnow())
    return [_tally_workflow(session, spec, run, classified, customers, staff, counts).as_dict()
            for spec in sorted(specs, key=lambda s: s.id)]


def _tally_workflow(session: Session, spec: WorkflowSpec, run: RunInfo, classified: Classified,
                    customers: Customers, staff: Staff, counts: OpenTaskCounts) -> TaskTally:
    movers = _movers(session, spec.id, classified, customers)
    occurrences = _open_occurrences(session, spec.id)
    application = PreviewApplication(spec, run, staff, counts)
    machine = SegmentMachine(machine_states(run.segment_ids, (m.state for m in movers),
                                            (m.target for m in movers)),
                             application.callbacks())
    tally = TaskTally(spec.id, moved=len(movers))
    cancelled_of = {task.id: task for tasks in occurrences.values() for task in tasks}
    for start in range(0, len(movers), BATCH_SIZE):
        batch = movers[start:start + BATCH_SIZE]
        writes = application.move_batch(
            machine, batch, {m.customer_id: occurrences.get(m.customer_id, [])
                             for m in batch if m.state_id is not None})
        for row in writes.tasks:
            tally.created[row["template"]][row["assignee"]] += 1
        for row in writes.cancelled:
            task = cancelled_of[row["task_id"]]
            member = staff.get(task.assignee_id)
            tally.cancelled[task.template][member.username if member else UNASSIGNED] += 1
    tally.kept = application.outcome.kept
    tally.not_created_open = application.outcome.not_created_open
    return tally


def _movers(session: Session, workflow_id: str, classified: Classified,
            customers: Customers) -> list[Mover]:
    """Customers whose state in the workflow differs from the segment given (in scope), and
    placed customers who left the scope, in customer-code order (as ``load_movers``)."""
    states = {customer: (state_id, state) for customer, state_id, state in session.execute(
        select(WorkflowState.customer_id, WorkflowState.id, WorkflowState.state)
        .where(WorkflowState.workflow_id == workflow_id))}
    movers = []
    for customer, target in zip(classified.ids.tolist(), classified.segments.tolist()):
        state_id, state = states.pop(customer, (None, UNCLASSIFIED))
        target = target or UNCLASSIFIED
        if state != target:
            movers.append(_mover(customers, customer, state_id, state, target))
    for customer, (state_id, state) in states.items():       # left the scope
        if state != UNCLASSIFIED and customer in customers.code:
            movers.append(_mover(customers, customer, state_id, state, UNCLASSIFIED))
    movers.sort(key=lambda m: m.customer["code"])
    return movers


def _mover(customers: Customers, customer: int, state_id, state: str, target: str) -> Mover:
    return Mover({"id": customer, "code": customers.code[customer],
                  "name": customers.name[customer], "owner_id": customers.owner[customer]},
                 state_id, state, target, {})


def _open_occurrences(session: Session, workflow_id: str) -> dict[int, list[OpenOccurrence]]:
    """Every open or in-progress recurring task of the workflow, by customer (one query)."""
    found: dict[int, list[OpenOccurrence]] = {}
    rows = session.execute(
        select(Task.customer_id, Task.id, Task.template, Task.segment, Task.status,
               Task.assignee_id)
        .where(Task.workflow_id == workflow_id, Task.recurring.is_(True),
               Task.status.in_(OPEN_STATUSES))
        .order_by(Task.id))
    for customer_id, *task in rows:
        found.setdefault(customer_id, []).append(OpenOccurrence(*task))
    return found
