"""One workflow over one run's moves: the callbacks of its state machine, batch by batch.

Each callback appends to the batch's ``BatchWrites``; nothing is written per task, and on
PostgreSQL a batch is written while the next one is prepared (``write_behind``). Open-task
counts live in memory (shared by every workflow of the run) and follow each creation and
cancellation, so the next assignment sees them at once.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from transitions import EventData

from engine.definitions.workflow_specs import TaskTemplate, WorkflowSpec
from engine.models import UNCLASSIFIED
from engine.tasks.assignees import OpenTaskCounts, Staff, TemplateAssigner
from engine.tasks.notices import SEGMENT_CHANGED, UNCLASSIFIED_LABEL, notification, subject
from engine.text import pick_text
from engine.workflows.moves import MovePlan, plan_move
from engine.workflows.report import WorkflowOutcome
from engine.workflows.segment_machine import CustomerPosition, MoveCallback, SegmentMachine
from engine.workflows.titles import TitleRenderer, customer_context
from engine.workflows.write_behind import WriteBehind
from engine.workflows.writes import BatchWrites, RunKeys


@dataclass(frozen=True)
class RunInfo:
    """What a workflow needs to know about the run it follows."""

    id: int
    ruleset_id: str
    start_date: dt.date
    segment_ids: tuple[str, ...]
    segment_labels: Mapping[str, Mapping[str, str]]
    now: dt.datetime

    def label(self, segment: str, locale: str | None) -> str:
        if segment == UNCLASSIFIED:
            return pick_text(UNCLASSIFIED_LABEL, locale)
        return pick_text(dict(self.segment_labels.get(segment) or {"": segment}), locale)


@dataclass
class Mover:
    """A customer whose state in the workflow differs from the run's verdict."""

    customer: dict[str, Any]
    state_id: int | None
    state: str
    target: str
    scores: dict[str, Any]

    @property
    def customer_id(self) -> int:
        return self.customer["id"]


@dataclass(frozen=True)
class OpenOccurrence:
    """An open or in-progress recurring task of the customer in this workflow."""

    id: int
    template: str
    segment: str | None
    status: str
    assignee_id: int | None


@dataclass
class MoveData:
    """A position's payload during its move: the plan and the recurring tasks it holds."""

    mover: Mover
    plan: MovePlan
    open_occurrences: list[OpenOccurrence]
    open_templates: set[str] = field(default_factory=set)
    title_context: dict[str, Any] | None = None


class WorkflowApplication:
    """Applies one run to one workflow; ``move_batch`` returns the writes of a batch."""

    def __init__(self, spec: WorkflowSpec, run: RunInfo, staff: Staff, counts: OpenTaskCounts):
        self.spec, self.run, self.staff, self.counts = spec, run, staff, counts
        self.templates: dict[str, TaskTemplate] = {t.id: t for t in spec.tasks}
        self.assigners = {t.id: TemplateAssigner(t.assignee, staff, counts) for t in spec.tasks}
        self.renderer = TitleRenderer(spec.tasks)
        self.plans: dict[tuple[str, str], MovePlan] = {}
        self.template_rows: dict[str, dict[str, Any]] = {}
        self.labels: dict[tuple[str, str | None], str] = {}
        self.outcome = WorkflowOutcome(spec.id, spec.version_id)
        self.keys, self.behind = RunKeys(run.id, spec.id), WriteBehind()
        self.writes = BatchWrites(keys=self.keys)

    def callbacks(self) -> dict[str, MoveCallback]:
        """The registry the workflow's machine resolves its step names from."""
        return {"cancel_recurring": self.cancel_recurring,
                "create_transition_tasks": self.create_transition_tasks,
                "create_entry_tasks": self.create_entry_tasks,
                "record_move": self.record_move}

    def move_batch(self, machine: SegmentMachine, movers: Iterable[Mover],
                   open_occurrences: Mapping[int, list[OpenOccurrence]]) -> BatchWrites:
        """Move each customer (in the given order) and return what the batch writes."""
        self.writes = BatchWrites(keys=self.keys, behind=self.behind)
        for mover in movers:
            data = MoveData(mover, self._plan(mover.state, mover.target),
                            open_occurrences.get(mover.customer_id, []))
            machine.move(CustomerPosition(mover.state, mover.target, data))
        return self.writes

    def _plan(self, source: str, target: str) -> MovePlan:
        key = (source, target)
        if key not in self.plans:
            self.plans[key] = plan_move(self.spec, source, target)
        return self.plans[key]

    # --- the steps of a move, in order ------------------------------------------------------

    def cancel_recurring(self, event: EventData) -> None:
        """Cancel the old segment's open recurring tasks; keep (and re-home) an occurrence of a
        template this move creates, and leave in-progress ones to finish."""
        data: MoveData = event.model.data
        planned = set(data.plan.templates)
        reason = f"customer moved from {data.plan.source} to {data.plan.target} (run {self.run.id})"
        for task in data.open_occurrences:
            if task.template in planned:
                data.open_templates.add(task.template)
                if task.segment != data.plan.target:
                    self.writes.rehomed.append({"task_id": task.id,
                                                "new_segment": data.plan.target})
                self.outcome.kept += 1
            elif task.segment == data.plan.source and task.status == "open":
                self.writes.cancelled.append({"task_id": task.id, "at": self.run.now,
                                              "reason": reason})
                if task.assignee_id is not None:
                    self.counts[task.assignee_id] -= 1
                self.outcome.cancelled += 1

    def create_transition_tasks(self, event: EventData) -> None:
        data: MoveData = event.model.data
        self._create(data, data.plan.on_transition)

    def create_entry_tasks(self, event: EventData) -> None:
        data: MoveData = event.model.data
        self._create(data, data.plan.on_enter)

    def record_move(self, event: EventData) -> None:
        """Store the new state and tell the customer's owner (or the admins) about the move."""
        data: MoveData = event.model.data
        mover, plan, now = data.mover, data.plan, self.run.now
        if mover.state_id is None:
            self.writes.new_states.append({
                "workflow_id": self.spec.id, "customer_id": mover.customer_id,
                "state": plan.target, "workflow_version_id": self.spec.version_id,
                "run_id": self.run.id, "entered_at": now})
        else:
            self.writes.changed_states.append({
                "state_id": mover.state_id, "new_state": plan.target, "new_run": self.run.id,
                "version": self.spec.version_id, "at": now})
        self.writes.notifications.append(self._change_notice(mover, plan))
        self.outcome.count_move(plan.source, plan.target)

    # --- helpers ----------------------------------------------------------------------------

    def _create(self, data: MoveData, template_ids: tuple[str, ...]) -> None:
        mover, plan = data.mover, data.plan
        for template_id in template_ids:
            template = self.templates[template_id]
            if template.recurring and template_id in data.open_templates:
                self.outcome.not_created_open += 1
                continue
            assignee = self.assigners[template_id].resolve(mover.customer["owner_id"])
            if assignee is not None:
                self.counts[assignee.id] += 1
            self.writes.tasks.append(self._task_row(data, template_id, assignee))
            if template.recurring:
                data.open_templates.add(template_id)
            self.outcome.count_task(plan.target, assignee.username if assignee else None)

    def _task_row(self, data: MoveData, template_id: str, assignee) -> dict[str, Any]:
        mover, plan = data.mover, data.plan
        row = self._template_row(template_id).copy()
        row.update(customer_id=mover.customer_id, segment=plan.target,
                   previous_segment=plan.source,
                   title=self.renderer.render(template_id, **self._title_context(data)),
                   assignee_id=assignee.id if assignee else None,
                   idempotency_key=run_task_key(self.run.id, self.spec.id, mover.customer_id,
                                                template_id))
        return row

    def _template_row(self, template_id: str) -> dict[str, Any]:
        """The columns of a task row that depend only on its template (and the run)."""
        row = self.template_rows.get(template_id)
        if row is None:
            template = self.templates[template_id]
            days = template.every_days if template.recurring else (template.due_in_days or 0)
            row = self.template_rows[template_id] = {
                "workflow_id": self.spec.id, "workflow_version_id": self.spec.version_id,
                "run_id": self.run.id, "template": template.id, "kind": template.kind,
                "channel": template.channel, "priority": template.priority,
                "recurring": template.recurring, "every_days": template.every_days,
                "status": "open", "due_date": self.run.start_date + dt.timedelta(days=days),
                "created_at": self.run.now}
        return row

    def _title_context(self, data: MoveData) -> dict[str, Any]:
        if data.title_context is None:
            owner = self.staff.get(data.mover.customer["owner_id"])
            customer = customer_context(data.mover.customer, owner and owner.username)
            data.title_context = {"customer": customer, "segment": data.plan.target,
                                  "previous_segment": data.plan.source,
                                  "scores": data.mover.scores}
        return data.title_context

    def _change_notice(self, mover: Mover, plan: MovePlan) -> dict[str, Any]:
        owner = self.staff.get(mover.customer["owner_id"])
        owner = owner if owner is not None and owner.active else None   # else: the admins
        locale = owner.locale if owner else None
        text = subject(SEGMENT_CHANGED, locale, customer=mover.customer["name"],
                       code=mover.customer["code"], source=self._label(plan.source, locale),
                       target=self._label(plan.target, locale))
        payload = {"workflow_id": self.spec.id, "run_id": self.run.id,
                   "customer_id": mover.customer_id, "customer_code": mover.customer["code"],
                   "from": plan.source, "to": plan.target}
        return notification(owner.id if owner else None, SEGMENT_CHANGED, text, payload,
                            self.run.now)


    def _label(self, segment: str, locale: str | None) -> str:
        key = (segment, locale)
        if key not in self.labels:
            self.labels[key] = self.run.label(segment, locale)
        return self.labels[key]


def run_task_key(run_id: int, workflow_id: str, customer_id: int, template_id: str) -> str:
    """The idempotency key of a task a run creates: one per (run, workflow, customer, template)."""
    return f"run:{run_id}:{workflow_id}:{customer_id}:{template_id}"
