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
    base = (select(Customer.owner_id, before.effective_segment.label("from_segment"),
                   after.effective_segment.label("to_segment"), band.label("band"))
            .select_from(before)
            .join(Customer, Customer.id == before.customer_id)
            .outerjoin(after, and_(after.customer_id == before.customer_id,
                                   after.run_id == filters.run)))
    if rates is not None:
        base = base.outerjoin(rates, rates.c.customer_id == before.customer_id)
    base = base.where(before.run_id == filters.run_b, before.effective_segment.is_not(None),
                      before.customer_id.in_(customer_ids(viewer, filters))).subquery("base")
    # The customers counted once per owner, band and move; every dimension is a sum of those
    # small rows: total, band and team over (team, band), the reps over the owners.
    moves = materialized(
        select(base.c.owner_id, base.c.band, base.c.from_segment, base.c.to_segment,
               func.count().label("customers"))
        .group_by(base.c.owner_id, base.c.band, base.c.from_segment, base.c.to_segment),
        "moves")
    owner = aliased(User)
    by_owner = moves.outerjoin(owner, owner.id == moves.c.owner_id)
    count = func.sum(moves.c.customers)
    branches = [
        select(literal("team", String()).label("dimension"), owner.team.label("k"),
               moves.c.band, cast(null(), String()).label("name"),
               moves.c.from_segment, moves.c.to_segment, count.label("customers"))
        .select_from(by_owner)
        .group_by(owner.team, moves.c.band, moves.c.from_segment, moves.c.to_segment),
        select(literal("owner", String()).label("dimension"), owner.username.label("k"),
               cast(null(), String()).label("band"), owner.name.label("name"),
               moves.c.from_segment, moves.c.to_segment, count.label("customers"))
        .select_from(by_owner)
        .group_by(owner.username, owner.name, moves.c.from_segment, moves.c.to_segment)]
    totals: dict[tuple, int] = {}
    for row in session.execute(union_all(*branches)):
        if row.dimension == "owner":
            keys = [("owner", row.k, row.name)]
        else:
            keys = [("total", "all", None), ("band", row.band, None), ("team", row.k, None)]
        for key in keys:
            move = (*key, row.from_segment, row.to_segment)
            totals[move] = totals.get(move, 0) + int(row.customers)
    for (dimension, key, name, from_segment, to_segment), customers in totals.items():
        result["rows"][dimension].append({"key": key, "name": name, "from": from_segment,
                                          "to": to_segment, "customers": customers})
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
