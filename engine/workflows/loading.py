"""The reads of a workflow application: the run, its workflows, the movers, open occurrences."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import Connection, and_, exists, func, literal, select
from sqlalchemy.orm import Session

from engine.definitions.published import build_spec, published_specs
from engine.definitions.ruleset_specs import build_ruleset
from engine.definitions.workflow_specs import WorkflowSpec
from engine.errors import Conflict, NotFound
from engine.models import (UNCLASSIFIED, Customer, CustomerScore, Definition, DefinitionVersion,
                           EvaluationRun, Task, WorkflowState, utcnow)
from engine.tasks.assignees import OPEN_STATUSES
from engine.workflows.application import Mover, OpenOccurrence, RunInfo

CUSTOMER_COLUMNS = (Customer.id, Customer.code, Customer.name, Customer.type,
                    Customer.parent_code, Customer.region, Customer.city, Customer.owner_id,
                    Customer.status, Customer.profile)
IN_LIST_SIZE = 500


class RunNotApplicable(Conflict):
    """A run that must not drive workflows: failed, or older than one they already follow."""


def load_run(session: Session, run_id: int, timezone: str) -> tuple[EvaluationRun, RunInfo]:
    run = session.get(EvaluationRun, run_id)
    if run is None:
        raise NotFound("evaluation run", run_id)
    if run.status == "failed":
        raise RunNotApplicable(f"evaluation run {run_id} failed; its scores cannot drive "
                               "workflows (evaluate again)")
    ruleset = build_ruleset(session.get(DefinitionVersion, run.ruleset_version_id).content)
    start = run.started_at.astimezone(ZoneInfo(timezone)).date()
    info = RunInfo(run.id, run.ruleset_id, start, tuple(s.id for s in ruleset.segments),
                   {s.id: dict(s.label.by_locale) for s in ruleset.segments}, utcnow())
    return run, info


def workflows_for_run(session: Session, run: EvaluationRun) -> list[WorkflowSpec]:
    """The run's ruleset's workflows in id order: the versions the run recorded, else the
    published ones, so that resuming a run uses the definitions it started with."""
    recorded = session.execute(
        select(Definition.def_id, DefinitionVersion)
        .join(DefinitionVersion, DefinitionVersion.definition_id == Definition.id)
        .where(Definition.kind == "workflow",
               DefinitionVersion.id.in_(run.definition_versions or [-1]))).all()
    specs = [build_spec("workflow", version.content, version.id) for _, version in recorded]
    if not specs:
        specs = published_specs(session, "workflow")
    return sorted((s for s in specs if s.ruleset == run.ruleset_id), key=lambda s: s.id)


def refuse_stale(session: Session, specs: list[WorkflowSpec], run_id: int) -> None:
    """Applying an older run after a newer one would move customers back: refuse it."""
    for spec in specs:
        latest = session.scalar(select(func.max(WorkflowState.run_id))
                                .where(WorkflowState.workflow_id == spec.id))
        if latest is not None and latest > run_id:
            raise RunNotApplicable(f"workflow {spec.id} already follows run {latest}, newer "
                                   f"than run {run_id}; apply the newest run instead")


def load_movers(session: Session, workflow_id: str, run_id: int) -> list[Mover]:
    """Customers whose state differs from the run's effective segment (in scope) or who left
    the scope, in customer-code order (code points, not the database's collation)."""
    state = and_(WorkflowState.customer_id == Customer.id,
                 WorkflowState.workflow_id == workflow_id)
    current = func.coalesce(WorkflowState.state, literal(UNCLASSIFIED))
    target = func.coalesce(CustomerScore.effective_segment, CustomerScore.segment,
                           literal(UNCLASSIFIED))
    in_scope = (select(*CUSTOMER_COLUMNS, WorkflowState.id, current, target, CustomerScore.axes)
                .select_from(CustomerScore)
                .join(Customer, Customer.id == CustomerScore.customer_id)
                .outerjoin(WorkflowState, state)
                .where(CustomerScore.run_id == run_id, current != target))
    scored = exists().where(CustomerScore.run_id == run_id,
                            CustomerScore.customer_id == WorkflowState.customer_id)
    leaving = (select(*CUSTOMER_COLUMNS, WorkflowState.id, WorkflowState.state,
                      literal(UNCLASSIFIED), literal(None))
               .select_from(WorkflowState).join(Customer, Customer.id == WorkflowState.customer_id)
               .where(WorkflowState.workflow_id == workflow_id,
                      WorkflowState.state != UNCLASSIFIED, ~scored))
    movers = [_mover(row) for query in (in_scope, leaving) for row in session.execute(query)]
    movers.sort(key=lambda m: m.customer["code"])
    return movers


def _mover(row) -> Mover:
    names = ("id", "code", "name", "type", "parent_code", "region", "city", "owner_id",
             "status", "profile")
    customer = dict(zip(names, row[:10]))
    return Mover(customer, row[10], row[11], row[12], row[13] or {})


def load_open_occurrences(connection: Connection, workflow_id: str,
                          customer_ids: list[int]) -> dict[int, list[OpenOccurrence]]:
    """Open or in-progress recurring tasks of these customers in this workflow, by customer."""
    found: dict[int, list[OpenOccurrence]] = {}
    for start in range(0, len(customer_ids), IN_LIST_SIZE):
        chunk = customer_ids[start:start + IN_LIST_SIZE]
        rows = connection.execute(
            select(Task.customer_id, Task.id, Task.template, Task.segment, Task.status,
                   Task.assignee_id)
            .where(Task.workflow_id == workflow_id, Task.customer_id.in_(chunk),
                   Task.recurring.is_(True), Task.status.in_(OPEN_STATUSES))
            .order_by(Task.id))
        for customer_id, *task in rows:
            found.setdefault(customer_id, []).append(OpenOccurrence(*task))
    return found
