"""Segment counts: in a run, how many of the customers a viewer may see are in each (effective)
segment, per region, city, team or owner; shares within each group."""
from __future__ import annotations

from sqlalchemy import Connection, func, select

from engine.access import Viewer
from engine.models import Customer, CustomerScore, User
from engine.reports.filters import ReportFilter, customer_condition

BY = ("region", "city", "team", "owner")


def segment_counts(connection: Connection, viewer: Viewer, filters: ReportFilter,
                   by: str) -> list[dict]:
    """Rows ``{"key", "name", "segment", "count"}`` ordered by key then segment: ``key`` the
    group's value (None: not set), ``name`` the owner's name when by owner."""
    if by not in BY:
        raise ValueError(by)
    score = CustomerScore.__table__
    owner = User.__table__.alias("owner")
    if by in ("region", "city"):
        key, name = Customer.__table__.c[by], None
    elif by == "team":
        key, name = owner.c.team, None
    else:
        key, name = owner.c.username, owner.c.name
    columns = [key.label("key"), (name if name is not None else key).label("name")]
    source = (score.join(Customer, Customer.id == score.c.customer_id)
              .outerjoin(owner, owner.c.id == Customer.owner_id))
    group = [key] + ([name] if name is not None else [])
    query = (select(*columns, score.c.effective_segment.label("segment"),
                    func.count().label("count"))
             .select_from(source)
             .where(score.c.run_id == filters.run, customer_condition(viewer, filters))
             .group_by(*group, score.c.effective_segment)
             .order_by(key, score.c.effective_segment))
    return [dict(row) for row in connection.execute(query).mappings()]


def table(rows: list[dict], segment_ids: list[str]) -> list[dict]:
    """The counts as one row per group: key, name, counts by segment (in ``segment_ids``
    order, then any other), total, shares (count / total of the group)."""
    groups: dict = {}
    for row in rows:
        group = groups.setdefault(row["key"], {"key": row["key"], "name": row["name"],
                                               "counts": {}, "total": 0})
        group["counts"][row["segment"]] = group["counts"].get(row["segment"], 0) + row["count"]
        group["total"] += row["count"]
    for group in groups.values():
        group["shares"] = {segment: count / group["total"]
                           for segment, count in group["counts"].items()}
    return sorted(groups.values(), key=lambda g: (g["key"] is None, str(g["key"] or "")))
