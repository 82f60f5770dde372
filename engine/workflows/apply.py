"""``apply_run``: after a stored evaluation run, move every customer whose effective segment
changed through each workflow of the run's ruleset (SPEC §3.4).

Workflows go in id order, customers in code order; batches of customers are written in one
transaction each. Re-running, or resuming after a failure, creates nothing twice: a customer's
new state is written in the same transaction as its tasks (so a finished customer is no longer a
mover), and each task carries a unique key per (run, workflow, customer, template).
"""
from __future__ import annotations

from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from engine import audit
from engine.config import load_settings
from engine.db import transaction
from engine.definitions.workflow_specs import WorkflowSpec
from engine.models import AuditEntry
from engine.tasks.assignees import OpenTaskCounts, Staff
from engine.tasks.notices import task_digests
from engine.workflows.application import Mover, RunInfo, WorkflowApplication
from engine.workflows.loading import (load_movers, load_open_occurrences, load_run,
                                      refuse_stale, workflows_for_run)
from engine.workflows.report import WorkflowOutcome, WorkflowReport
from engine.workflows.segment_machine import SegmentMachine, machine_states
from engine.workflows.writes import notifications_table

BATCH_SIZE = 2000
ACTOR = "kamflow workflows"
APPLIED = "workflow.applied"


def apply_run(engine: Engine, run_id: int, *, batch_size: int = BATCH_SIZE) -> WorkflowReport:
    """Drive every workflow of run ``run_id``'s ruleset from the run's effective segments."""
    timezone = load_settings().timezone
    with Session(engine) as session:
        run, info = load_run(session, run_id, timezone)
        specs = workflows_for_run(session, run)
        refuse_stale(session, specs, run_id)
        staff = Staff.load(session)
        counts = OpenTaskCounts.load(session)
    report = WorkflowReport(info.id, info.ruleset_id)
    for spec in specs:
        report.workflows.append(
            _apply_workflow(engine, spec, info, staff, counts, batch_size))
    return report


def _apply_workflow(engine: Engine, spec: WorkflowSpec, run: RunInfo, staff: Staff,
                    counts: OpenTaskCounts, batch_size: int) -> WorkflowOutcome:
    with Session(engine) as session:
        movers = load_movers(session, spec.id, run.id)
    application = WorkflowApplication(spec, run, staff, counts)
    states = machine_states(run.segment_ids, (m.state for m in movers),
                            (m.target for m in movers))
    machine = SegmentMachine(states, application.callbacks())
    for start in range(0, len(movers), batch_size):
        _apply_batch(engine, application, machine, movers[start:start + batch_size])
    application.outcome.title_failures = application.renderer.failures
    _finish(engine, spec, run, staff, application.outcome)
    return application.outcome


def _apply_batch(engine: Engine, application: WorkflowApplication, machine: SegmentMachine,
                 movers: list[Mover]) -> None:
    with transaction(engine) as session:
        connection = session.connection()
        # A customer the workflow never placed (no state row) has no task of it yet.
        placed = [m.customer_id for m in movers if m.state_id is not None]
        occurrences = load_open_occurrences(connection, application.spec.id, placed)
        writes = application.move_batch(machine, movers, occurrences)
        writes.flush(connection)


def _finish(engine: Engine, spec: WorkflowSpec, run: RunInfo, staff: Staff,
            outcome: WorkflowOutcome) -> None:
    """Once per (workflow, run): the digest notifications and the audit entry that marks the
    workflow as done for the run, in one transaction."""
    marker = f"{spec.id}@run{run.id}"
    with transaction(engine) as session:
        done = session.scalar(select(AuditEntry.id).where(
            AuditEntry.object_type == "workflow", AuditEntry.object_id == marker,
            AuditEntry.action == APPLIED))
        if done is not None:
            return
        connection = session.connection()
        locales = {m.id: m.locale for m in staff.by_id.values()}
        notices = task_digests(connection, run.id, spec.id, dict(spec.title.by_locale),
                               locales, run.now)
        if notices:
            connection.execute(insert(notifications_table), notices)
        audit.record(session, ACTOR, APPLIED, "workflow", marker, outcome.as_dict())
