"""Merging a duplicate customer into the one that stays, in one audited transaction.

Everything that belongs to the dropped customer moves to the kept one: orders, payments, visits,
tasks, segment overrides, workflow states, aliases, and children (``parent_code``). Where the
two cannot both keep a record, the kept customer's wins and the dropped one's is recorded in the
audit entry:

- workflow states (one per workflow): the kept customer's state stays; the dropped one's is
  deleted, and its open recurring tasks in that workflow are cancelled, since they belong to a
  segment the merged customer is not in (in-progress and one-off tasks move as they are);
- overrides: a pending or approved override of the dropped customer is cleared when the kept
  one has its own pending or approved override for the same ruleset;
- golden customers (one pin per ruleset): the kept customer's pin stays, the dropped one's is
  deleted; a pin only the dropped customer had moves to the kept one.

Stored runs never change: the dropped customer is not deleted but marked merged (status
``merged``, ``merged_into_id``, ``merged_at``; see ``engine.customers.merged``), so its scores
in past runs still export and explain under its own code. Its name becomes an alias of the
kept customer with the dropped code as ``former_code``. Customers on one parent chain (a
hospital and its department, at any depth) are not duplicates and are never merged.
``dry_run`` does the whole merge and rolls it back, so the preview is exactly what would happen.
"""
from __future__ import annotations

from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.orm import Session

from engine import audit
from engine.customers.merge_result import MergeResult
from engine.customers.merged import UnknownCustomer, live, live_successor
from engine.customers.names import normalize_name
from engine.db import transaction
from engine.errors import Conflict
from engine.models import (
    Customer,
    CustomerAlias,
    CustomerScore,
    GoldenCustomer,
    Order,
    Payment,
    SegmentOverride,
    Task,
    Visit,
    WorkflowState,
    utcnow,
)
from engine.models.people import MERGED

__all__ = ["MergeRefused", "MergeResult", "UnknownCustomer", "merge_customers"]

MOVED = {"orders": Order, "payments": Payment, "visits": Visit, "tasks": Task,
         "segment_overrides": SegmentOverride, "workflow_states": WorkflowState,
         "aliases": CustomerAlias}
LIVE_OVERRIDE = ("pending", "approved")
# K2 → K1: short codes differ in a large share of their characters.
CLOSE_CODE_SCORE = 50


class MergeRefused(Conflict):
    """Two customers that cannot be merged (the same one, of different types, or one above
    the other in a parent chain)."""

    def __init__(self, keep: Customer, drop: Customer | None = None,
                 chain: list[str] | None = None):
        if drop is None:
            message = f"cannot merge customer {keep.code!r} into itself"
        elif chain:
            message = (f"cannot merge {drop.code!r} into {keep.code!r}: {chain[-1]!r} is an "
                       f"ancestor of {chain[0]!r} (parent chain {' → '.join(chain)}); a "
                       f"customer and its parent are not duplicates")
        else:
            message = (f"cannot merge {drop.code!r} ({drop.type}) into {keep.code!r} "
                       f"({keep.type}): customers of different types are not duplicates")
        super().__init__(message)


class _Preview(Exception):
    """Carries a dry run's result out of its transaction, which it rolls back."""

    def __init__(self, result: MergeResult):
        super().__init__(result.drop_code)
        self.result = result


def merge_customers(engine: Engine, keep_code: str, drop_code: str, actor: str | None,
                    dry_run: bool = False) -> MergeResult:
    """Merge customer ``drop_code`` into ``keep_code`` (see the module docstring); with
    ``dry_run``, report what would happen and change nothing."""
    try:
        with transaction(engine) as session:
            result = _merge(session, keep_code, drop_code, actor)
            if dry_run:
                result.dry_run = True
                raise _Preview(result)
    except _Preview as preview:
        return preview.result
    return result


def _merge(session: Session, keep_code: str, drop_code: str, actor: str | None) -> MergeResult:
    keep = _load(session, keep_code)
    if keep_code == drop_code:
        raise MergeRefused(keep)
    drop = _load(session, drop_code)
    if keep.type != drop.type:
        raise MergeRefused(keep, drop)
    chain = _parent_chain(session, drop.code, keep.code) or _parent_chain(session, keep.code,
                                                                          drop.code)
    if chain:
        raise MergeRefused(keep, drop, chain)
    result = MergeResult(keep.code, drop.code)
    result.replaced = _resolve_collisions(session, keep, drop, actor)
    result.moved, result.children = _move_records(session, keep, drop)
    result.stored_runs = list(session.scalars(
        select(CustomerScore.run_id).where(CustomerScore.customer_id == drop.id)
        .order_by(CustomerScore.run_id)))
    session.execute(update(Customer).where(Customer.id == drop.id).values(
        status=MERGED, merged_into_id=keep.id, merged_at=utcnow()),
        execution_options={"synchronize_session": False})
    audit.record(session, actor, "customer.merge", "customer", keep.code, {
        "kept": keep.code, "dropped": _snapshot(drop), "moved": result.moved,
        "children": result.children, "replaced": result.replaced,
        "stored_runs": result.stored_runs})
    return result


def _load(session: Session, code: str) -> Customer:
    customer = session.scalars(select(Customer).where(Customer.code == code, live())
                               .with_for_update()).one_or_none()
    if customer is not None:
        return customer
    raise UnknownCustomer(code, _meant(session, code), live_successor(session, code))


def _meant(session: Session, code: str) -> str | None:
    """The code of a customer named ``code`` (a name typed for a code), else the closest code."""
    named = session.execute(select(Customer.code, Customer.name).where(
        Customer.normalized_name == normalize_name(code), live()).order_by(Customer.code)).all()
    if named:
        # The customer written exactly so, else the first of those spelled alike.
        return min(named, key=lambda row: row.name != code).code
    close = process.extractOne(code, session.scalars(select(Customer.code).where(live())).all(),
                               scorer=fuzz.ratio, score_cutoff=CLOSE_CODE_SCORE)
    return close[0] if close else None


def _parent_chain(session: Session, code: str, ancestor: str) -> list[str]:
    """``[code, its parent, …, ancestor]`` when ``ancestor`` is above ``code`` in the parent
    chain, else ``[]``. Parents are not checked for cycles on import, so one ends the walk."""
    chain = [code]
    while True:
        parent = session.scalar(select(Customer.parent_code).where(Customer.code == chain[-1]))
        if parent is None or parent in chain:
            return []
        chain.append(parent)
        if parent == ancestor:
            return chain


def _resolve_collisions(session: Session, keep: Customer, drop: Customer,
                        actor: str | None) -> dict[str, list[dict[str, Any]]]:
    """Make way for the kept customer's unique records; return what was given up."""
    kept_workflows = select(WorkflowState.workflow_id).where(
        WorkflowState.customer_id == keep.id).scalar_subquery()
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
    replaced = {"tasks_cancelled": cancelled, "overrides_cleared": cleared,
                "workflow_states_deleted": states}
    kept_pins = select(GoldenCustomer.ruleset_id).where(
        GoldenCustomer.customer_id == keep.id).scalar_subquery()
    pins = _changed(session, delete(GoldenCustomer).where(
        GoldenCustomer.customer_id == drop.id, GoldenCustomer.ruleset_id.in_(kept_pins)),
        GoldenCustomer.ruleset_id, GoldenCustomer.expected_segment)
    if pins:
        replaced["golden_pins_deleted"] = pins
    return replaced


def _changed(session: Session, statement, *columns) -> list[dict[str, Any]]:
    """Run an UPDATE or DELETE; the listed columns of the rows it touched, in a stable order."""
    rows = session.execute(statement.returning(*columns),
                           execution_options={"synchronize_session": False}).all()
    return sorted((dict(row._mapping) for row in rows), key=lambda r: list(r.values()))


def _move_records(session: Session, keep: Customer,
                  drop: Customer) -> tuple[dict[str, int], list[str]]:
    """Point the dropped customer's records and children at the kept one; return the counts
    moved and the children's codes."""
    moved = {}
    for name, model in MOVED.items():
        moved[name] = session.execute(
            update(model).where(model.customer_id == drop.id).values(customer_id=keep.id),
            execution_options={"synchronize_session": False}).rowcount
    pins = session.execute(
        update(GoldenCustomer).where(GoldenCustomer.customer_id == drop.id)
        .values(customer_id=keep.id), execution_options={"synchronize_session": False}).rowcount
    if pins:                                    # said only when there were any
        moved["golden_pins"] = pins
    children = sorted(session.scalars(
        update(Customer).where(Customer.parent_code == drop.code, live())
        .values(parent_code=keep.code).returning(Customer.code),
        execution_options={"synchronize_session": False}))
    moved["children"] = len(children)
    session.execute(insert(CustomerAlias).values(
        customer_id=keep.id, name=drop.name,
        normalized_name=drop.normalized_name or normalize_name(drop.name),
        former_code=drop.code))
    return moved, children


def _snapshot(customer: Customer) -> dict[str, Any]:
    """The dropped customer's own attributes, for the audit log."""
    return {
        "code": customer.code, "name": customer.name, "type": customer.type,
        "parent_code": customer.parent_code, "region": customer.region,
        "city": customer.city, "owner": customer.owner.username if customer.owner else None,
        "status": customer.status, "profile": customer.profile,
    }
