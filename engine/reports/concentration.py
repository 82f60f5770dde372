"""Value concentration: the Pareto curve of a stored metric of a run (share of customers against
share of value, customers ranked by the metric, highest first; negative values count as 0 and
customers without a value are left out), and per-segment KPIs computed from the facts over the
ruleset's window before the run's ``as_of``: revenue and its growth against the window before,
gross margin (over the order lines with a cost), orders per customer, average days to pay
(invoices of the window, unpaid ones measured to ``as_of``) and visits per customer.
"""
from __future__ import annotations

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.orm import Session

from engine.definitions.published import build_spec
from engine.definitions.ruleset_specs import AggregateMetric, FormulaMetric
from engine.evaluation.windows import months_before
from engine.expr.sql_constructs import days_between
from engine.models import CustomerScore, DefinitionVersion, EvaluationRun, Order, Payment, Visit
from engine.reports.filters import ReportFilter, customer_ids
from engine.reports.scores_sql import materialized

CURVE_POINTS = 100
NUMERIC_AGGREGATES = ("sum", "count", "count_distinct", "avg")


def run_spec(session: Session, run_id: int):
    """The ruleset spec a run evaluated, and its as_of."""
    run = session.get(EvaluationRun, run_id)
    content = session.scalar(select(DefinitionVersion.content)
                             .where(DefinitionVersion.id == run.ruleset_version_id))
    return build_spec("ruleset", content, run.ruleset_version_id), run.as_of


def metric_labels(session: Session, run_id: int) -> dict:
    """Each metric's label (a locale map) as the run's ruleset version defines it, else its id."""
    content = session.scalar(
        select(DefinitionVersion.content).join(
            EvaluationRun, EvaluationRun.ruleset_version_id == DefinitionVersion.id)
        .where(EvaluationRun.id == run_id)) or {}
    return {metric_id: (definition.get("label") if isinstance(definition, dict) else None)
            or metric_id for metric_id, definition in content.get("metrics", {}).items()}


def value_metrics(spec) -> list[str]:
    """Metrics a Pareto curve can read: numeric aggregates and formulas, definition order;
    sums first."""
    metrics = [m for m in spec.metrics
               if (isinstance(m, AggregateMetric) and m.function in NUMERIC_AGGREGATES)
               or isinstance(m, FormulaMetric)]
    sums = [m.id for m in metrics if isinstance(m, AggregateMetric) and m.function == "sum"]
    return sums + [m.id for m in metrics if m.id not in sums]


def pareto(session: Session, viewer, filters: ReportFilter, metric: str) -> dict:
    """Up to ``CURVE_POINTS`` points (share of customers, share of value), the customers and
    total value, and how many customers make 80 % of the value."""
    # The metric read out of each row's JSON once (a materialized CTE), then ranked.
    values = materialized(
        select(CustomerScore.customer_id,
               CustomerScore.metrics[(metric, "value")].as_float().label("value"))
        .where(CustomerScore.run_id == filters.run,
               CustomerScore.customer_id.in_(customer_ids(viewer, filters))), "metric_values")
    value = values.c.value
    positive = case((value > 0, value), else_=0.0)
    order = (value.desc(), values.c.customer_id)
    ranked = (select(values.c.customer_id, positive.label("v"),
                     func.row_number().over(order_by=order).label("rn"),
                     func.count().over().label("n"),
                     func.sum(positive).over().label("total"),
                     func.sum(positive).over(order_by=order, rows=(None, 0)).label("cum"))
              .where(value.is_not(None))
              .subquery())
    bucket = (ranked.c.rn * CURVE_POINTS + ranked.c.n - 1) // ranked.c.n   # ceil, integers
    # The first rank holding 80 % of the value, per bucket, in the same pass as the curve.
    at80 = case((and_(ranked.c.cum * 5 >= ranked.c.total * 4, ranked.c.total > 0), ranked.c.rn))
    rows = session.execute(
        select(bucket.label("b"), func.max(ranked.c.rn), func.max(ranked.c.n),
               func.max(ranked.c.cum), func.max(ranked.c.total), func.min(at80))
        .group_by(bucket).order_by(bucket)).all()
    if not rows:
        return {"metric": metric, "customers": 0, "total": 0.0, "points": [], "top80": None}
    n, total = int(rows[0][2]), float(rows[0][4] or 0)
    points = [(0.0, 0.0)] + [(int(rn) / n, (float(cum) / total) if total else 0.0)
                             for _, rn, _, cum, _, _ in rows]
    top80 = min((row[5] for row in rows if row[5] is not None), default=None)
    return {"metric": metric, "customers": n, "total": total, "points": points,
            "top80": int(top80) if top80 is not None else None}


def share_at(points: list[tuple[float, float]], customers_share: float) -> float | None:
    """The share of value of the top ``customers_share`` of customers (the last curve point at
    or below it)."""
    found = None
    for x, y in points:
        if x <= customers_share + 1e-12:
            found = y
    return found


def segment_kpis(session: Session, viewer, filters: ReportFilter) -> dict:
    """Per effective segment at ``run``: customers and the fact figures of the window."""
    spec, as_of = run_spec(session, filters.run)
    months = spec.window_months
    start, prev_start = months_before(as_of, months), months_before(as_of, 2 * months)
    scores = (select(CustomerScore.customer_id, CustomerScore.effective_segment.label("segment"))
              .where(CustomerScore.run_id == filters.run,
                     CustomerScore.effective_segment.is_not(None),
                     CustomerScore.customer_id.in_(customer_ids(viewer, filters)))
              .subquery())
    kpis: dict[str, dict] = {}
    for segment, customers in session.execute(
            select(scores.c.segment, func.count()).group_by(scores.c.segment)):
        kpis[segment] = {"customers": int(customers), "revenue": 0, "revenue_prev": 0,
                         "margin_amount": 0, "margin_cost": 0, "orders": 0,
                         "pay_days": None, "visits": 0}
    current = Order.date >= start
    with_cost = and_(current, Order.cost_cents.is_not(None))
    orders = _segment_sums(session, scores, Order, (Order.date >= prev_start, Order.date < as_of),
                           revenue=case((current, Order.amount_cents), else_=0),
                           revenue_prev=case((current, 0), else_=Order.amount_cents),
                           margin_amount=case((with_cost, Order.amount_cents), else_=0),
                           margin_cost=case((with_cost, Order.cost_cents), else_=0),
                           orders=case((current, 1), else_=0))
    for segment, sums in orders.items():
        kpis[segment].update({name: int(value or 0) for name, value in sums.items()})
    days = days_between(Payment.invoice_date, func.coalesce(Payment.paid_date, as_of))
    payments = _segment_sums(session, scores, Payment,
                             (Payment.invoice_date >= start, Payment.invoice_date < as_of),
                             days=days, invoices=literal(1))
    for segment, sums in payments.items():
        # The mean of whole days: their sum is exact, so this is the average SQL would give.
        kpis[segment]["pay_days"] = int(sums["days"]) / int(sums["invoices"])
    visits = _segment_sums(session, scores, Visit, (Visit.date >= start, Visit.date < as_of),
                           visits=literal(1))
    for segment, sums in visits.items():
        kpis[segment]["visits"] = int(sums["visits"])
    for figures in kpis.values():
        n = figures["customers"]
        figures["growth"] = ((figures["revenue"] - figures["revenue_prev"])
                             / figures["revenue_prev"] if figures["revenue_prev"] else None)
        figures["margin"] = ((figures["margin_amount"] - figures["margin_cost"])
                             / figures["margin_amount"] if figures["margin_amount"] else None)
        figures["orders_per_customer"] = figures["orders"] / n if n else None
        figures["visits_per_customer"] = figures["visits"] / n if n else None
    return {"window": (start, as_of), "previous": (prev_start, start), "segments": kpis,
            "as_of": as_of}


def _segment_sums(session: Session, scores, fact, where: tuple, **sums) -> dict[str, dict]:
    """``sums`` (expressions over the ``fact`` rows matching ``where``) per segment of
    ``scores``.

    SQLite groups by sorting: it sums per customer first, as the scores are read in customer
    order and each customer's facts from the fact's (customer, date) index, so that only a row
    per customer is sorted by segment, not every fact row (millions of orders). PostgreSQL
    hashes the few segments directly; a per-customer step would hash 100,000 groups and spill.
    """
    per_segment = [func.sum(value).label(name) for name, value in sums.items()]
    query = (select(scores.c.segment, *per_segment)
             .join(fact, fact.customer_id == scores.c.customer_id).where(*where)
             .group_by(scores.c.segment))
    if session.get_bind().dialect.name == "sqlite":
        per_customer = (select(scores.c.customer_id, scores.c.segment, *per_segment)
                        .join(fact, fact.customer_id == scores.c.customer_id).where(*where)
                        .group_by(scores.c.customer_id, scores.c.segment)
                        .subquery("per_customer"))
        query = (select(per_customer.c.segment, *[func.sum(per_customer.c[name])
                                                  for name in sums])
                 .group_by(per_customer.c.segment))
    return {row[0]: dict(zip(sums, row[1:])) for row in session.execute(query)}
