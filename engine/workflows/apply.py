"""``apply_run``: after a stored evaluation run, move every customer whose effective segment
changed through each workflow of the run's ruleset (SPEC §3.4).

Workflows go in id order, customers in code order. Everything a run does to the workflows is
written in one transaction, under the ruleset's lock (``engine.locks``): the evaluation calls
``apply_stored_run`` in the transaction that stores the run, so a run is completed together
with its tasks, states and notifications, or not at all. Applying a run again creates nothing
twice: a customer's new state is written with its tasks (so a moved customer is no longer a
mover), each task carries a unique key per (run, workflow, customer, template), and the digest
of a (workflow, run) is sent once.
"""
from __future__ import annotations

from sqlalchemy import Connection, Engine, insert, select
from sqlalchemy.orm import Session

from engine import audit, failpoints, locks
from engine.config import load_settings
from engine.db import transaction
from engine.definitions.workflow_specs import WorkflowSpec
from engine.errors import NotFound
from engine.models import AuditEntry, EvaluationRun
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
    """Drive every workflow of stored run ``run_id``'s ruleset from the run's effective
    segments, in one transaction under the ruleset's lock."""
    with Session(engine) as session:
        ruleset_id = session.scalar(select(EvaluationRun.ruleset_id)
                                    .where(EvaluationRun.id == run_id))
    if ruleset_id is None:
        raise NotFound("evaluation run", run_id)
    with transaction(engine) as session:
        locks.hold(session, "evaluate", ruleset_id)
        return apply_stored_run(session, run_id, batch_size=batch_size)


def apply_stored_run(session: Session, run_id: int, *,
                     batch_size: int = BATCH_SIZE) -> WorkflowReport:
    """``apply_run`` inside the caller's transaction (which holds the ruleset's lock)."""
    run, info = load_run(session, run_id, load_settings().timezone)
    specs = workflows_for_run(session, run)
    refuse_stale(session, specs, run_id)
    staff = Staff.load(session)
    counts = OpenTaskCounts.load(session)
    report = WorkflowReport(info.id, info.ruleset_id)
    for spec in specs:
        report.workflows.append(
            _apply_workflow(session, spec, info, staff, counts, batch_size))
    return report


def _apply_workflow(session: Session, spec: WorkflowSpec, run: RunInfo, staff: Staff,
                    counts: OpenTaskCounts, batch_size: int) -> WorkflowOutcome:
    movers = load_movers(session, spec.id, run.id)
    application = WorkflowApplication(spec, run, staff, counts)
    states = machine_states(run.segment_ids, (m.state for m in movers),
                            (m.target for m in movers))
    machine = SegmentMachine(states, application.callbacks())
    connection = session.connection()
    for start in range(0, len(movers), batch_size):
        _apply_batch(connection, application, machine, movers[start:start + batch_size])
    application.outcome.title_failures = application.renderer.failures
    _finish(session, spec, run, staff, application.outcome)
    return application.outcome


def _apply_batch(connection: Connection, application: WorkflowApplication,
                 machine: SegmentMachine, movers: list[Mover]) -> None:
    """Plan and write a batch of moves (batches bound the memory of a large run)."""
    # A customer the workflow never placed (no state row) has no task of it yet.
    placed = [m.customer_id for m in movers if m.state_id is not None]
    occurrences = load_open_occurrences(connection, application.spec.id, placed)
    writes = application.move_batch(machine, movers, occurrences)
    writes.flush(connection)
    failpoints.reach("workflows.batch_written")


def _finish(session: Session, spec: WorkflowSpec, run: RunInfo, staff: Staff,
            outcome: WorkflowOutcome) -> None:
    """Once per (workflow, run): the digest notifications and the audit entry that marks the
    workflow as done for the run."""
    marker = f"{spec.id}@run{run.id}"
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
