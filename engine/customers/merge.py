"""Merging a duplicate customer into the one that stays, in one audited transaction.

Everything that belongs to the dropped customer moves to the kept one: orders, payments, visits,
tasks, segment overrides, aliases, and children (``parent_code``). Where the two cannot both
keep a record, the kept customer's wins and the dropped one's is recorded in the audit entry:

- workflow states (one per workflow): the kept customer's state stays; the dropped one's is
  deleted, and its open recurring tasks in that workflow are cancelled, since they belong to a
  segment the merged customer is not in (in-progress and one-off tasks move as they are);
- customer scores (one per run): for runs that scored both, the kept customer's score stays;
- overrides: a pending or approved override of the dropped customer is cleared when the kept
  one has its own pending or approved override for the same ruleset.

A state, score or override that does not collide moves, so the merged customer keeps the
history of both. The dropped name becomes an alias of the kept customer with the dropped code
as ``former_code``; the dropped customer's attributes are kept in the audit entry's details.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.orm import Session

from engine import audit
from engine.customers.names import normalize_name
from engine.db import transaction
from engine.errors import Conflict, NotFound
from engine.models import (
    Customer,
    CustomerAlias,
    CustomerScore,
    Order,
    Payment,
    SegmentOverride,
    Task,
    Visit,
    WorkflowState,
    utcnow,
)

MOVED_FACTS = {"orders": Order, "payments": Payment, "visits": Visit, "tasks": Task}
LIVE_OVERRIDE = ("pending", "approved")
# K2 → K1: short codes differ in a large share of their characters.
CLOSE_CODE_SCORE = 50


class UnknownCustomer(NotFound):
    """No customer has this code; says which one it was merged into, or what was meant."""

    def __init__(self, code: str, meant: str | None = None, merged_into: str | None = None):
        super().__init__("customer", code)
        if merged_into:
            self.args = (f"no customer {code!r}: it was merged into {merged_into!r}",)
        elif meant:
            self.args = (f"no customer {code!r} (did you mean {meant!r}?)",)


class MergeRefused(Conflict):
    """Two customers that cannot be merged (the same one, or of different types)."""

    def __init__(self, keep: Customer, drop: Customer | None = None):
        if drop is None:
            message = f"cannot merge customer {keep.code!r} into itself"
        else:
            message = (f"cannot merge {drop.code!r} ({drop.type}) into {keep.code!r} "
                       f"({keep.type}): customers of different types are not duplicates")
        super().__init__(message)


@dataclass
class MergeResult:
    """What a merge moved (counts per kind) and what it cancelled, deleted or cleared."""

    keep_code: str
    drop_code: str
    moved: dict[str, int] = field(default_factory=dict)
    replaced: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def merge_customers(engine: Engine, keep_code: str, drop_code: str,
                    actor: str | None) -> MergeResult:
    """Merge customer ``drop_code`` into ``keep_code`` (see the module docstring)."""
    with transaction(engine) as session:
        keep = _load(session, keep_code)
        if keep_code == drop_code:
            raise MergeRefused(keep)
        drop = _load(session, drop_code)
        if keep.type != drop.type:
            raise MergeRefused(keep, drop)
        result = MergeResult(keep.code, drop.code)
        result.replaced = _resolve_collisions(session, keep, drop, actor)
        result.moved = _move_records(session, keep, drop)
        audit.record(session, actor, "customer.merge", "customer", keep.code, {
            "kept": keep.code, "dropped": _snapshot(drop), "moved": result.moved,
            "replaced": result.replaced})
        session.execute(delete(Customer).where(Customer.id == drop.id))
    return result


def _load(session: Session, code: str) -> Customer:
    customer = session.scalars(
        select(Customer).where(Customer.code == code).with_for_update()).one_or_none()
    if customer is not None:
        return customer
    merged_into = session.scalars(
        select(Customer.code).join(CustomerAlias, CustomerAlias.customer_id == Customer.id)
        .where(CustomerAlias.former_code == code)).first()
    raise UnknownCustomer(code, _meant(session, code), merged_into)


def _meant(session: Session, code: str) -> str | None:
    """The code of a customer named ``code`` (a name typed for a code), else the closest code."""
    named = session.execute(select(Customer.code, Customer.name).where(
        Customer.normalized_name == normalize_name(code)).order_by(Customer.code)).all()
    if named:
        # The customer written exactly so, else the first of those spelled alike.
        return min(named, key=lambda row: row.name != code).code
    close = process.extractOne(code, session.scalars(select(Customer.code)).all(),
                               scorer=fuzz.ratio, score_cutoff=CLOSE_CODE_SCORE)
    return close[0] if close else None


def _resolve_collisions(session: Session, keep: Customer, drop: Customer,
                        actor: str | None) -> dict[str, list[dict[str, Any]]]:
    """Make way for the kept customer's unique records; return what was given up."""
    kept_workflows = select(WorkflowState.workflow_id).where(
        WorkflowState.customer_id == keep.id).scalar_subquery()
    kept_runs = select(CustomerScore.run_id).where(
        CustomerScore.customer_id == keep.id).scalar_subquery()
    kept_rulesets = select(SegmentOverride.ruleset_id).where(
        SegmentOverride.customer_id == keep.id,
        SegmentOverride.status.in_(LIVE_OVERRIDE)).scalar_subquery()
    now = utcnow()
    cancelled = _changed(session, update(Task).where(
        Task.customer_id == drop.id, Task.recurring.is_(True), Task.status == "open",
        Task.workflow_id.in_(kept_workflows),
    ).values(status="cancelled", cancelled_at=now,
             cancel_reason=f"customer merged into {keep.code}"),
        Task.id, Task.workflow_id, Task.template)
    cleared = _changed(session, update(SegmentOverride).where(
        SegmentOverride.customer_id == drop.id, SegmentOverride.status.in_(LIVE_OVERRIDE),
        SegmentOverride.ruleset_id.in_(kept_rulesets),
    ).values(status="cleared", decided_by=actor, decided_at=now),
        SegmentOverride.id, SegmentOverride.ruleset_id, SegmentOverride.segment)
    states = _changed(session, delete(WorkflowState).where(
        WorkflowState.customer_id == drop.id, WorkflowState.workflow_id.in_(kept_workflows)),
        WorkflowState.workflow_id, WorkflowState.state)
    scores = _changed(session, delete(CustomerScore).where(
        CustomerScore.customer_id == drop.id, CustomerScore.run_id.in_(kept_runs)),
        CustomerScore.run_id, CustomerScore.segment, CustomerScore.effective_segment)
    return {"tasks_cancelled": cancelled, "overrides_cleared": cleared,
            "workflow_states_deleted": states, "customer_scores_deleted": scores}


def _changed(session: Session, statement, *columns) -> list[dict[str, Any]]:
    """Run an UPDATE or DELETE; the listed columns of the rows it touched, in a stable order."""
    rows = session.execute(statement.returning(*columns),
                           execution_options={"synchronize_session": False}).all()
    return sorted((dict(row._mapping) for row in rows), key=lambda r: list(r.values()))


def _move_records(session: Session, keep: Customer, drop: Customer) -> dict[str, int]:
    moved = {}
    for name, model in {**MOVED_FACTS, "segment_overrides": SegmentOverride,
                        "workflow_states": WorkflowState, "customer_scores": CustomerScore,
                        "aliases": CustomerAlias}.items():
        moved[name] = _count(session, update(model).where(model.customer_id == drop.id)
                             .values(customer_id=keep.id))
    if keep.parent_code == drop.code:
        # The kept customer was the dropped one's child: it takes the dropped one's parent.
        parent = drop.parent_code if drop.parent_code != keep.code else None
        session.execute(update(Customer).where(Customer.id == keep.id)
                        .values(parent_code=parent))
    moved["children"] = _count(session, update(Customer).where(
        Customer.parent_code == drop.code, Customer.id != drop.id).values(parent_code=keep.code))
    session.execute(insert(CustomerAlias).values(
        customer_id=keep.id, name=drop.name,
        normalized_name=drop.normalized_name or normalize_name(drop.name),
        former_code=drop.code))
    return moved


def _count(session: Session, statement) -> int:
    return session.execute(statement, execution_options={"synchronize_session": False}).rowcount


def _snapshot(customer: Customer) -> dict[str, Any]:
    """The dropped customer's own attributes, for the audit log."""
    return {
        "code": customer.code, "name": customer.name, "type": customer.type,
        "parent_code": customer.parent_code, "region": customer.region,
        "city": customer.city, "owner": customer.owner.username if customer.owner else None,
        "status": customer.status, "profile": customer.profile,
    }
