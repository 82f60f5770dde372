"""Conversion: of the customers in each segment at the earlier run (``run_b``), how many are in
each segment at the later run (``run``) — in total, by team, by rep (the owner) and by SOP
compliance band over the period between the two runs (``engine.reports.compliance``).

Segments are effective segments; a customer in view at ``run_b`` that has no score at ``run``
(it left the scope) is counted under ``to = None``.
"""
from __future__ import annotations

from sqlalchemy import and_, func, literal, select
from sqlalchemy.orm import Session, aliased

from engine.models import Customer, CustomerScore, User
from engine.reports import compliance as sop
from engine.reports.filters import ReportFilter, customer_ids

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
    base = base.where(before.run_id == filters.run_b, before.effective_segment.is_not(None),
                      before.customer_id.in_(customer_ids(viewer, filters))).subquery()
    keys = {"total": (literal("all").label("k"),), "band": (base.c.band,),
            "team": (base.c.team,), "owner": (base.c.username, base.c.owner_name)}
    for dimension in DIMENSIONS:
        cols = keys[dimension]
        query = (select(*cols, base.c.from_segment, base.c.to_segment,
                        func.count().label("customers"))
                 .group_by(*cols, base.c.from_segment, base.c.to_segment))
        for row in session.execute(query):
            values = tuple(row)
            key = values[0]
            name = values[1] if len(cols) > 1 else None
            result["rows"][dimension].append(
                {"key": key, "name": name, "from": values[-3], "to": values[-2],
                 "customers": int(values[-1])})
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
