"""Migration between runs: the from → to matrix of effective segments between ``run_b`` and
``run``; and the paths of customers across the last N completed runs of a ruleset.

Customers are those of ``customer_condition(viewer, filters)`` scored in ``filters.run``; a
customer without a score in an earlier run has the segment None there ("not scored")."""
from __future__ import annotations

from sqlalchemy import Connection, func, select

from engine.access import Viewer
from engine.models import Customer, CustomerScore, EvaluationRun
from engine.reports.filters import ReportFilter, customer_condition


def matrix(connection: Connection, viewer: Viewer, filters: ReportFilter) -> list[dict]:
    """Rows ``{"from", "to", "count"}``: ``from`` the segment in ``run_b`` (None when not
    scored there), ``to`` the segment in ``run``."""
    now = CustomerScore.__table__.alias("now")
    before = CustomerScore.__table__.alias("before")
    query = (select(before.c.effective_segment.label("from"),
                    now.c.effective_segment.label("to"), func.count().label("count"))
             .select_from(now.join(Customer, Customer.id == now.c.customer_id)
                          .outerjoin(before, (before.c.customer_id == now.c.customer_id)
                                     & (before.c.run_id == filters.run_b)))
             .where(now.c.run_id == filters.run, customer_condition(viewer, filters))
             .group_by(before.c.effective_segment, now.c.effective_segment))
    return [dict(row) for row in connection.execute(query).mappings()]


def last_runs(connection: Connection, filters: ReportFilter, n: int) -> list[dict]:
    """The last ``n`` completed runs of the ruleset up to ``filters.run``, oldest first."""
    runs = (select(EvaluationRun.id, EvaluationRun.as_of)
            .where(EvaluationRun.status == "completed",
                   EvaluationRun.ruleset_id == filters.ruleset,
                   EvaluationRun.id <= filters.run)
            .order_by(EvaluationRun.id.desc()).limit(n))
    return [dict(row) for row in reversed(connection.execute(runs).mappings().all())]


def paths(connection: Connection, viewer: Viewer, filters: ReportFilter,
          runs: list[dict]) -> list[dict]:
    """The paths ``{"segments": (segment in each of ``runs``...), "count"}`` of the customers
    scored in the last of ``runs``, most frequent first (ties by the segments)."""
    if not runs:
        return []
    last = CustomerScore.__table__.alias("s_last")
    source = last.join(Customer, Customer.id == last.c.customer_id)
    columns = []
    for i, run in enumerate(runs[:-1]):
        alias = CustomerScore.__table__.alias(f"s{i}")
        source = source.outerjoin(alias, (alias.c.customer_id == last.c.customer_id)
                                  & (alias.c.run_id == run["id"]))
        columns.append(alias.c.effective_segment.label(f"seg{i}"))
    columns.append(last.c.effective_segment.label(f"seg{len(runs) - 1}"))
    count = func.count().label("count")
    query = (select(*columns, count).select_from(source)
             .where(last.c.run_id == runs[-1]["id"], customer_condition(viewer, filters))
             .group_by(*columns))
    found = [{"segments": tuple(row[:-1]), "count": row[-1]}
             for row in connection.execute(query).all()]
    return sorted(found, key=lambda p: (-p["count"], tuple(s or "" for s in p["segments"])))


def matrix_from_paths(found: list[dict], step: int) -> list[dict]:
    """``matrix`` read off ``paths``: the customers of each (segment at ``step``, segment at
    the last run). The same rows as ``matrix`` when ``step`` is ``run_b``'s place in the
    paths' runs and the last of them is ``run`` (both count the customers scored in ``run``,
    with None where not scored before) — the default page's case, one pass over the scores
    instead of two."""
    totals: dict = {}
    for path in found:
        key = (path["segments"][step], path["segments"][-1])
        totals[key] = totals.get(key, 0) + path["count"]
    return [{"from": a, "to": b, "count": n} for (a, b), n in totals.items()]


def links(found: list[dict]) -> list[dict]:
    """The Sankey links: for each step i → i+1, (from segment, to segment) → customers."""
    totals: dict = {}
    for path in found:
        segments = path["segments"]
        for i in range(len(segments) - 1):
            key = (i, segments[i], segments[i + 1])
            totals[key] = totals.get(key, 0) + path["count"]
    return [{"step": i, "from": a, "to": b, "count": n}
            for (i, a, b), n in sorted(totals.items(), key=lambda kv: (kv[0][0], str(kv[0][1]),
                                                                       str(kv[0][2])))]
