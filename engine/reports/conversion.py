"""Conversion: of the customers in each segment at the earlier run (``run_b``), how many are in
each segment at the later run (``run``) — in total, by team, by rep (the owner) and by SOP
compliance band over the period between the two runs (``engine.reports.compliance``).

Segments are effective segments; a customer in view at ``run_b`` that has no score at ``run``
(it left the scope) is counted under ``to = None``.
"""
from __future__ import annotations

from sqlalchemy import String, and_, cast, func, literal, null, select, union_all
from sqlalchemy.orm import Session, aliased

from engine.models import Customer, CustomerScore, User
from engine.reports import compliance as sop
from engine.reports.filters import ReportFilter, customer_ids
from engine.reports.scores_sql import materialized

DIMENSIONS = ("total", "band", "team", "owner")


def conversion(session: Session, viewer, filters: ReportFilter,
               period: sop.Period | None) -> dict:
    """Counts per (dimension key, from segment, to segment)."""
    result = {"rows": {d: [] for d in DIMENSIONS}}
    if not filters.run or not filters.run_b:
        return result
    before, after = aliased(CustomerScore), aliased(CustomerScore)
    rates = sop.customer_rates(session, viewer, filters, period) if period else None
    band = sop.band_of(rates) if rates is not None else literal("none")
    base = (select(before.customer_id, before.effective_segment.label("from_segment"),
                   after.effective_segment.label("to_segment"), User.team,
                   User.username, User.name.label("owner_name"), band.label("band"))
            .select_from(before)
            .join(Customer, Customer.id == before.customer_id)
            .outerjoin(after, and_(after.customer_id == before.customer_id,
                                   after.run_id == filters.run))
            .outerjoin(User, User.id == Customer.owner_id))
    if rates is not None:
        base = base.outerjoin(rates, rates.c.customer_id == before.customer_id)
    base = materialized(
        base.where(before.run_id == filters.run_b, before.effective_segment.is_not(None),
                   before.customer_id.in_(customer_ids(viewer, filters))), "base")
    groups = {"total": (), "band": (base.c.band,), "team": (base.c.team,),
              "owner": (base.c.username, base.c.owner_name)}
    # One statement, the customers read once: a branch per dimension.
    branches = [select(literal(dimension, String()).label("dimension"),
                       cast(columns[0] if columns else literal("all"), String()).label("k"),
                       cast(columns[1] if len(columns) > 1 else null(), String()).label("name"),
                       base.c.from_segment, base.c.to_segment,
                       func.count().label("customers"))
                .group_by(*columns, base.c.from_segment, base.c.to_segment)
                for dimension, columns in groups.items()]
    for row in session.execute(union_all(*branches)):
        result["rows"][row.dimension].append(
            {"key": row.k, "name": row.name, "from": row.from_segment, "to": row.to_segment,
             "customers": int(row.customers)})
    return result


def matrices(rows: list[dict]) -> dict:
    """``rows`` of one dimension as {key: {"name", "from": {from: {to: n, "total": n}}}}."""
    out: dict = {}
    for row in rows:
        entry = out.setdefault(row["key"], {"name": row["name"], "from": {}})
        cell = entry["from"].setdefault(row["from"], {"total": 0})
        cell[row["to"]] = cell.get(row["to"], 0) + row["customers"]
        cell["total"] += row["customers"]
    return out
