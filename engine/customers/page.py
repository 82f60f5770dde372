"""What the customer page shows, read through the visibility policy (``engine.access``).

Every query here takes the viewer: a customer outside their view is ``None`` (the page answers
404), facts and scores are read through ``access.customer_visible`` and tasks through
``access.tasks``. Nothing here changes anything; profile edits are in ``profile_edit``.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from engine import access
from engine.access import Viewer
from engine.definitions.published import published_specs
from engine.definitions.ruleset_specs import RulesetSpec, build_ruleset
from engine.definitions.specs import FormSpec
from engine.forms import number_text
from engine.models import (Customer, CustomerScore, EvaluationRun, Order, Payment, Product,
                           SegmentOverride, Task, User, Visit)
from engine.overrides import APPROVED, PENDING

FACT_PAGE_SIZE = 10
HISTORY_LIMIT = 24
TASK_LIMIT = 50
OPEN_TASK_STATUSES = ("open", "in_progress")


@dataclass(frozen=True)
class CustomerHead:
    """The customer's core attributes and profile, with its owner's name."""

    id: int
    code: str
    name: str
    type: str
    parent_code: str | None
    region: str | None
    city: str | None
    status: str
    owner: str | None          # username
    owner_name: str | None
    profile: dict

    def core_values(self) -> dict[str, Any]:
        """The core attributes as expressions name them (``visible_if`` may read them)."""
        return {"code": self.code, "name": self.name, "type": self.type,
                "parent": self.parent_code, "region": self.region, "city": self.city,
                "owner": self.owner, "status": self.status}


def visible_customer(session: Session, viewer: Viewer, code: str) -> CustomerHead | None:
    """The live customer ``code`` if ``viewer`` may see it, else ``None``."""
    row = session.execute(
        select(Customer.id, Customer.code, Customer.name, Customer.type, Customer.parent_code,
               Customer.region, Customer.city, Customer.status, User.username, User.name,
               Customer.profile)
        .outerjoin(User, User.id == Customer.owner_id)
        .where(Customer.code == code, access.customers(viewer))).first()
    if row is None:
        return None
    return CustomerHead(*row[:10], dict(row[10] or {}))


def form_for(session: Session, customer_type: str) -> FormSpec | None:
    """The published form whose ``customer_type`` is ``customer_type`` (first by id)."""
    return next((f for f in published_specs(session, "form")
                 if f.customer_type == customer_type), None)


# --- segments ------------------------------------------------------------------------------

@dataclass(frozen=True)
class ActiveOverride:
    id: int
    segment: str
    until: dt.date
    reason: str
    requested_by: str
    decided_by: str | None


@dataclass(frozen=True)
class Standing:
    """The customer's place in one ruleset: the latest stored run and its score (if any)."""

    ruleset: RulesetSpec
    run_id: int
    as_of: dt.date
    scored: bool
    segment: str | None
    effective_segment: str | None
    previous_segment: str | None
    override: ActiveOverride | None
    pending: tuple[ActiveOverride, ...]
    metric_labels: dict[str, Any]     # metric id → human text (str or locale map)
    option_labels: dict[str, dict]    # metric id of a select field → option text → label

    def option_label(self, metric_id: str, value_text: str | None):
        """The form option's label of a field metric's value, or None."""
        return self.option_labels.get(metric_id, {}).get(value_text)

    def segment_spec(self, segment_id: str | None):
        return next((s for s in self.ruleset.segments if s.id == segment_id), None)


def standings(session: Session, viewer: Viewer, customer: CustomerHead, form: FormSpec | None,
              today: dt.date) -> list[Standing]:
    """Per ruleset with a completed run, the latest run's score of ``customer``."""
    latest = (select(func.max(EvaluationRun.id)).where(EvaluationRun.status == "completed")
              .group_by(EvaluationRun.ruleset_id))
    score = aliased(CustomerScore)
    rows = session.execute(
        select(EvaluationRun, score.segment, score.effective_segment, score.previous_segment,
               score.id)
        .outerjoin(score, (score.run_id == EvaluationRun.id)
                   & (score.customer_id == customer.id)
                   & access.customer_visible(viewer, score.customer_id))
        .where(EvaluationRun.id.in_(latest)).order_by(EvaluationRun.ruleset_id)).all()
    overrides = _overrides(session, viewer, customer.id, today)
    found = []
    for run, segment, effective, previous, score_id in rows:
        content = run.ruleset_version.content
        spec = build_ruleset(content, run.ruleset_version_id)
        mine = [o for o in overrides if o[0] == spec.id]
        active = next((o[1] for o in mine if o[2] == APPROVED), None)
        pending = tuple(o[1] for o in mine if o[2] == PENDING)
        found.append(Standing(spec, run.id, run.as_of, score_id is not None, segment, effective,
                              previous, active, pending, _metric_labels(content, form),
                              _option_labels(content, form)))
    return found


def _overrides(session: Session, viewer: Viewer, customer_id: int, today: dt.date):
    rows = session.execute(
        select(SegmentOverride).where(
            SegmentOverride.customer_id == customer_id,
            access.customer_visible(viewer, SegmentOverride.customer_id),
            or_(SegmentOverride.status == PENDING,
                (SegmentOverride.status == APPROVED) & (SegmentOverride.until >= today)))
        .order_by(SegmentOverride.id.desc())).scalars()
    return [(o.ruleset_id, ActiveOverride(o.id, o.segment, o.until, o.reason, o.requested_by,
                                          o.decided_by), o.status) for o in rows]


def _metric_labels(content: dict, form: FormSpec | None) -> dict[str, Any]:
    """A metric's own label; else, for ``{field: KEY}``, the form field's label; else its id."""
    labels = {}
    for metric_id, spec in content.get("metrics", {}).items():
        label = spec.get("label")
        if label is None and "field" in spec and form is not None:
            field = form.field(spec["field"])
            label = dict(field.label.by_locale) if field is not None else None
        labels[metric_id] = label if label is not None else metric_id
    return labels


def _option_labels(content: dict, form: FormSpec | None) -> dict[str, dict]:
    """For each ``{field: KEY}`` metric of a field with options: option text → its label."""
    found: dict[str, dict] = {}
    for metric_id, spec in content.get("metrics", {}).items():
        field = form.field(spec["field"]) if form is not None and "field" in spec else None
        if field is not None and field.options:
            found[metric_id] = {number_text(o.value): dict(o.label.by_locale)
                                for o in field.options}
    return found


def pending_challenges(session: Session, viewer: Viewer, customer_id: int) -> list:
    """Pending challenges of the customer, newest first."""
    return list(session.scalars(select(SegmentOverride).where(
        SegmentOverride.customer_id == customer_id, SegmentOverride.status == PENDING,
        access.customer_visible(viewer, SegmentOverride.customer_id))
        .order_by(SegmentOverride.id.desc())))


@dataclass(frozen=True)
class HistoryRow:
    run_id: int
    ruleset_id: str
    as_of: dt.date
    segment: str | None
    effective_segment: str | None


def segment_history(session: Session, viewer: Viewer, customer_id: int) -> list[HistoryRow]:
    """The customer's segment in each completed run, newest first."""
    rows = session.execute(
        select(EvaluationRun.id, EvaluationRun.ruleset_id, EvaluationRun.as_of,
               CustomerScore.segment, CustomerScore.effective_segment)
        .join(CustomerScore, CustomerScore.run_id == EvaluationRun.id)
        .where(CustomerScore.customer_id == customer_id, EvaluationRun.status == "completed",
               access.customer_visible(viewer, CustomerScore.customer_id))
        .order_by(EvaluationRun.as_of.desc(), EvaluationRun.id.desc()).limit(HISTORY_LIMIT))
    return [HistoryRow(*row) for row in rows]


# --- tasks ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class TaskRow:
    id: int
    title: dict
    kind: str
    status: str
    due_date: dt.date
    assignee: str | None
    completed_at: dt.datetime | None
    note: str | None


def customer_tasks(session: Session, viewer: Viewer, customer_id: int,
                   done: bool) -> list[TaskRow]:
    """The customer's open (or finished) tasks that ``viewer`` may see."""
    statuses = OPEN_TASK_STATUSES if not done else ("done", "cancelled")
    order = (Task.due_date.asc(), Task.id) if not done else (Task.completed_at.desc(),
                                                             Task.id.desc())
    rows = session.execute(
        select(Task.id, Task.title, Task.kind, Task.status, Task.due_date, User.name,
               Task.completed_at, Task.note)
        .outerjoin(User, User.id == Task.assignee_id)
        .where(Task.customer_id == customer_id, Task.status.in_(statuses), access.tasks(viewer))
        .order_by(*order).limit(TASK_LIMIT))
    return [TaskRow(*row) for row in rows]


# --- facts ---------------------------------------------------------------------------------

FACT_KINDS = ("orders", "payments", "visits")


@dataclass(frozen=True)
class FactPage:
    kind: str
    rows: list[tuple]
    page: int
    has_more: bool


def _fact_query(kind: str):
    if kind == "orders":
        return (select(Order.date, Order.order_id, Product.code, Product.name,
                       Order.quantity_milli, Order.amount_cents)
                .join(Product, Product.id == Order.product_id),
                Order, (Order.date.desc(), Order.id.desc()))
    if kind == "payments":
        return (select(Payment.invoice_date, Payment.invoice_id, Payment.amount_cents,
                       Payment.paid_date), Payment,
                (Payment.invoice_date.desc(), Payment.id.desc()))
    return (select(Visit.date, Visit.visit_id, Visit.channel, User.name)
            .outerjoin(User, User.id == Visit.rep_id), Visit, (Visit.date.desc(), Visit.id.desc()))


def fact_page(session: Session, viewer: Viewer, customer_id: int, kind: str,
              page: int = 1) -> FactPage:
    """One page of the customer's recent ``kind`` facts, newest first."""
    if kind not in FACT_KINDS:
        raise ValueError(f"unknown fact kind {kind!r}; known: {', '.join(FACT_KINDS)}")
    page = max(1, page)
    query, table, order = _fact_query(kind)
    rows = session.execute(
        query.where(table.customer_id == customer_id,
                    access.customer_visible(viewer, table.customer_id))
        .order_by(*order).offset((page - 1) * FACT_PAGE_SIZE).limit(FACT_PAGE_SIZE + 1)).all()
    return FactPage(kind, [tuple(r) for r in rows[:FACT_PAGE_SIZE]], page,
                    len(rows) > FACT_PAGE_SIZE)
