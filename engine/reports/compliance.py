"""SOP compliance: the visits and calls a workflow required in a period against those done.

Required contacts come from the recurring templates (``every_days``) of the ``on_enter`` tasks of
each segment, in the published workflows of the ruleset, and from the days each customer spent
in each segment during the period: a stored run's effective segment holds from its ``as_of`` to
the next run's ``as_of`` (the last one to the period's end). A template with ``every_days: N``
over D days in the segment requires ``floor(D / N)`` contacts on the template's channel (its kind
when it has none). Done contacts are the visit facts on that channel dated while the customer was
in the segment (completing a visit or call task records one); a customer's compliance caps what
was done at what was required per segment and channel, so many calls do not make up for no
visits. Completed workflow tasks in the period are counted beside them.

Everything per customer is computed in SQL; the small tables of run intervals and templates are
literal rows.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import (Date, Integer, String, and_, case, cast, func, literal, null, select,
                        union_all)
from sqlalchemy.orm import Session

from engine.definitions.published import published_specs
from engine.errors import InvalidInput, Problem
from engine.models import Customer, CustomerScore, EvaluationRun, Task, User, Visit
from engine.reports.filters import ReportFilter, customer_ids
from engine.reports.scores_sql import materialized

BEHIND_LIMIT = 20
MAX_PERIOD_DAYS = 3660


@dataclass(frozen=True)
class Period:
    """Days in ``[start, end)``."""

    start: dt.date
    end: dt.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days


@dataclass(frozen=True)
class Requirement:
    segment: str
    template: str
    channel: str
    every_days: int


def _date(text: str | None, name: str, problems: list) -> dt.date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        problems.append(Problem(path=name, message=f"{text[:40]!r} is not a date (YYYY-MM-DD)"))
        return None


def period_of(session: Session, filters: ReportFilter, start: str | None = None,
              end: str | None = None) -> Period:
    """The period: ``from``/``to`` when given, else from run_b's as_of to run's as_of."""
    problems: list[Problem] = []
    start_day, end_day = _date(start, "from", problems), _date(end, "to", problems)
    if problems:
        raise InvalidInput(problems, "report period")
    as_of = dict(session.execute(select(EvaluationRun.id, EvaluationRun.as_of).where(
        EvaluationRun.id.in_([r for r in (filters.run, filters.run_b) if r]))).all())
    start_day = start_day or as_of.get(filters.run_b)
    end_day = end_day or as_of.get(filters.run)
    if start_day is None:
        problems.append(Problem(path="from", message="give a start date (no earlier run)"))
    if end_day is None:
        problems.append(Problem(path="to", message="give an end date (no run)"))
    if start_day and end_day and end_day <= start_day:
        problems.append(Problem(path="to", message="must be after the start date"))
    elif start_day and end_day and (end_day - start_day).days > MAX_PERIOD_DAYS:
        problems.append(Problem(path="to", message=f"at most {MAX_PERIOD_DAYS} days after the "
                                                   "start date"))
    if problems:
        raise InvalidInput(problems, "report period")
    return Period(start_day, end_day)


def requirements(session: Session, ruleset: str) -> list[Requirement]:
    """The recurring on_enter templates of the ruleset's published workflows."""
    found = []
    for workflow in published_specs(session, "workflow"):
        if workflow.ruleset != ruleset:
            continue
        for segment, task_ids in workflow.on_enter:
            for task_id in task_ids:
                template = workflow.task(task_id)
                if template.recurring and template.every_days > 0:
                    found.append(Requirement(segment, task_id, template.channel or template.kind,
                                             template.every_days))
    return found


def workflow_ids(session: Session, ruleset: str) -> list[str]:
    return [w.id for w in published_specs(session, "workflow") if w.ruleset == ruleset]


def channels(session: Session, ruleset: str) -> list[str]:
    """The channels the workflows require, in first-seen order."""
    return list(dict.fromkeys(r.channel for r in requirements(session, ruleset)))


def run_intervals(session: Session, ruleset: str, period: Period) -> list[tuple]:
    """(run id, start, end, days) of each completed run of ``ruleset`` whose segments held
    during ``period``: from its as_of to the next run's as_of, clipped to the period."""
    runs = session.execute(
        select(EvaluationRun.id, EvaluationRun.as_of)
        .where(EvaluationRun.ruleset_id == ruleset, EvaluationRun.status == "completed",
               EvaluationRun.as_of < period.end)
        .order_by(EvaluationRun.as_of, EvaluationRun.id)).all()
    latest: dict[dt.date, int] = {}
    for run_id, as_of in runs:          # several runs on one date: the last one holds
        latest[as_of] = run_id
    dates = sorted(latest)
    intervals = []
    for index, as_of in enumerate(dates):
        until = dates[index + 1] if index + 1 < len(dates) else period.end
        start, end = max(as_of, period.start), min(until, period.end)
        if start < end:
            intervals.append((latest[as_of], start, end, (end - start).days))
    return intervals


def _rows(columns: tuple[tuple[str, object], ...], rows: list[tuple]):
    """A literal table (a union of one-row selects) with typed columns."""
    selects = [select(*[literal(value, type_).label(name)
                        for (name, type_), value in zip(columns, row)]) for row in rows]
    return (selects[0] if len(selects) == 1 else union_all(*selects)).subquery()


def customer_cells(session: Session, viewer, filters: ReportFilter, period: Period,
                   cte: bool = False):
    """A subquery of (customer_id, segment, channel, required, done, met) for every customer
    in view that spent time in a segment with requirements during ``period``; ``None`` when
    nothing was required. ``cte``: a materialized CTE instead, for a statement that reads it
    more than once."""
    needs = requirements(session, filters.ruleset)
    intervals = run_intervals(session, filters.ruleset, period)
    if not needs or not intervals:
        return None
    iv = _rows((("run_id", Integer()), ("start", Date()), ("end", Date()), ("days", Integer())),
               intervals)
    tmpl = _rows((("segment", String()), ("template", String()), ("channel", String()),
                  ("every_days", Integer())),
                 [(r.segment, r.template, r.channel, r.every_days) for r in needs])
    stay = (select(CustomerScore.customer_id, CustomerScore.effective_segment.label("segment"),
                   iv.c.start, iv.c.end, iv.c.days)
            .join(iv, CustomerScore.run_id == iv.c.run_id)
            .where(CustomerScore.effective_segment.is_not(None),
                   CustomerScore.customer_id.in_(customer_ids(viewer, filters)))
            .cte("stay"))
    per_template = (
        select(stay.c.customer_id, stay.c.segment, tmpl.c.channel,
               (cast(func.sum(stay.c.days), Integer) // tmpl.c.every_days).label("required"))
        .join(tmpl, tmpl.c.segment == stay.c.segment)
        .group_by(stay.c.customer_id, stay.c.segment, tmpl.c.template, tmpl.c.channel,
                  tmpl.c.every_days)
        .subquery())
    need = (select(per_template.c.customer_id, per_template.c.segment, per_template.c.channel,
                   func.sum(per_template.c.required).label("required"))
            .group_by(per_template.c.customer_id, per_template.c.segment,
                      per_template.c.channel)
            .subquery())
    done = (select(stay.c.customer_id, stay.c.segment, Visit.channel,
                   func.count(Visit.id).label("done"))
            .join(Visit, and_(Visit.customer_id == stay.c.customer_id,
                              Visit.date >= stay.c.start, Visit.date < stay.c.end))
            .group_by(stay.c.customer_id, stay.c.segment, Visit.channel)
            .subquery())
    done_count = func.coalesce(done.c.done, 0)
    query = (select(need.c.customer_id, need.c.segment, need.c.channel,
                    need.c.required, done_count.label("done"),
                    case((done_count < need.c.required, done_count),
                         else_=need.c.required).label("met"))
             .outerjoin(done, and_(done.c.customer_id == need.c.customer_id,
                                   done.c.segment == need.c.segment,
                                   done.c.channel == need.c.channel)))
    return materialized(query, "cells") if cte else query.subquery("cells")


def customer_rates(session: Session, viewer, filters: ReportFilter, period: Period):
    """A subquery of (customer_id, required, done, met) per customer, or ``None``."""
    cells = customer_cells(session, viewer, filters, period)
    if cells is None:
        return None
    return (select(cells.c.customer_id, func.sum(cells.c.required).label("required"),
                   func.sum(cells.c.done).label("done"), func.sum(cells.c.met).label("met"))
            .group_by(cells.c.customer_id).subquery("rates"))


def _tasks_done(session: Session, viewer, filters: ReportFilter, period: Period):
    start = dt.datetime.combine(period.start, dt.time(), tzinfo=dt.timezone.utc)
    end = dt.datetime.combine(period.end, dt.time(), tzinfo=dt.timezone.utc)
    query = (select(Task.customer_id, Task.segment, func.count(Task.id).label("tasks_done"))
             .where(Task.workflow_id.in_(workflow_ids(session, filters.ruleset)),
                    Task.status == "done", Task.completed_at >= start,
                    Task.completed_at < end, Task.customer_id.in_(customer_ids(viewer, filters)))
             .group_by(Task.customer_id, Task.segment))
    return materialized(query, "tasks_done")      # read by several branches, computed once


DIMENSIONS = ("segment", "team", "owner")
# One statement answers the whole report: the per-customer cells are computed once (a
# materialized CTE) and every figure is a branch of a UNION ALL over them, told apart by
# ``part``. Columns of every branch: part, key, name, channel, owner, team, customers,
# required, done, met (NULL where a branch has nothing to say).
_TEXT = ("key", "name", "channel", "owner", "team")
_NUMBERS = ("customers", "required", "done", "met")


def _branch(part: str, source, group: tuple = (), **values):
    """One branch of the report's UNION ALL: ``values`` by column name, NULL elsewhere."""
    columns = [literal(part, String()).label("part")]
    columns += [(values[c] if c in values else cast(null(), String())).label(c) for c in _TEXT]
    columns += [(cast(values[c], Integer) if c in values else cast(null(), Integer())).label(c)
                for c in _NUMBERS]
    return select(*columns).select_from(source).group_by(*group)


def compliance(session: Session, viewer, filters: ReportFilter, period: Period,
               dimensions: tuple[str, ...] = DIMENSIONS) -> dict:
    """The report: per segment, team and owner (rep) — those of ``dimensions`` — per channel:
    customers, required, done, met; the totals; and the customers furthest behind."""
    chans = channels(session, filters.ruleset)
    result = {"period": period, "channels": chans,
              "groups": {d: [] for d in DIMENSIONS}, "total": _empty(chans), "behind": []}
    cells = customer_cells(session, viewer, filters, period, cte=True)
    if cells is None:
        return result
    owner = User.__table__.alias("owner")
    keyed = materialized(
        select(cells, owner.c.team, owner.c.username, owner.c.name.label("owner_name"),
               Customer.code, Customer.name.label("customer_name"))
        .join(Customer, Customer.id == cells.c.customer_id)
        .outerjoin(owner, owner.c.id == Customer.owner_id), "keyed")
    tasks = _tasks_done(session, viewer, filters, period)
    tasks_keyed = (select(tasks, owner.c.team, owner.c.username, owner.c.name.label("owner_name"))
                   .join(Customer, Customer.id == tasks.c.customer_id)
                   .outerjoin(owner, owner.c.id == Customer.owner_id).subquery("tasks_keyed"))
    customers = func.count(func.distinct(keyed.c.customer_id))
    sums = {"required": func.sum(keyed.c.required), "done": func.sum(keyed.c.done),
            "met": func.sum(keyed.c.met)}
    branches = []
    for dimension in dimensions:
        keys = _keys(keyed, dimension)
        task_keys = _keys(tasks_keyed, dimension)
        branches += [
            _branch(f"cells {dimension}", keyed, (*keys.values(), keyed.c.channel),
                    channel=keyed.c.channel, customers=customers, **keys, **sums),
            _branch(f"customers {dimension}", keyed, tuple(keys.values()),
                    customers=customers, **keys),
            _branch(f"tasks {dimension}", tasks_keyed, tuple(task_keys.values()),
                    done=func.sum(tasks_keyed.c.tasks_done), **task_keys)]
    per_customer = (select(keyed.c.customer_id, keyed.c.code, keyed.c.customer_name,
                           keyed.c.username, keyed.c.owner_name, keyed.c.team,
                           func.sum(keyed.c.required).label("required"),
                           func.sum(keyed.c.done).label("done"),
                           func.sum(keyed.c.met).label("met"))
                    .group_by(keyed.c.customer_id, keyed.c.code, keyed.c.customer_name,
                              keyed.c.username, keyed.c.owner_name, keyed.c.team).subquery())
    gap = per_customer.c.required - per_customer.c.met
    furthest = (select(per_customer).where(gap > 0).order_by(gap.desc(), per_customer.c.code)
                .limit(BEHIND_LIMIT).subquery("furthest"))
    branches += [
        _branch("total", keyed, (keyed.c.channel,), channel=keyed.c.channel, **sums),
        _branch("total customers", keyed, customers=customers),
        _branch("total tasks", tasks, done=func.coalesce(func.sum(tasks.c.tasks_done), 0))
        .where(tasks.c.customer_id.in_(select(keyed.c.customer_id))),
        _branch("behind", furthest, key=furthest.c.code, name=furthest.c.customer_name,
                channel=furthest.c.username, owner=furthest.c.owner_name, team=furthest.c.team,
                required=furthest.c.required, done=furthest.c.done, met=furthest.c.met)]
    rows = session.execute(union_all(*branches)).mappings().all()
    for dimension in dimensions:
        result["groups"][dimension] = _groups(rows, dimension, chans)
    total = result["total"]
    for row in rows:
        if row["part"] == "total":
            total["channels"][row["channel"]] = _figures(row)
        elif row["part"] == "total customers":
            total["customers"] = int(row["customers"] or 0)
        elif row["part"] == "total tasks":
            total["tasks_done"] = int(row["done"] or 0)
    _finish(total)
    result["behind"] = _behind(rows)
    return result


def _keys(source, dimension: str) -> dict:
    """The columns a dimension groups by, named as the report's ``key`` and ``name``."""
    if dimension == "segment":
        return {"key": source.c.segment}
    if dimension == "team":
        return {"key": source.c.team}
    return {"key": source.c.username, "name": source.c.owner_name}


def _figures(row) -> dict:
    return {"required": int(row["required"] or 0), "done": int(row["done"] or 0),
            "met": int(row["met"] or 0)}


def _groups(rows, dimension: str, chans: list[str]) -> list[dict]:
    """The report's rows of ``dimension`` out of the statement's rows."""
    groups: dict[tuple, dict] = {}
    for row in rows:
        if row["part"] == f"cells {dimension}":
            key = (row["key"], row["name"])
            group = groups.setdefault(key, _empty(chans))
            group["channels"][row["channel"]] = _figures(row)
    for row in rows:
        key = (row["key"], row["name"])
        if row["part"] == f"customers {dimension}" and key in groups:
            groups[key]["customers"] = int(row["customers"])
        elif row["part"] == f"tasks {dimension}" and key in groups:
            groups[key]["tasks_done"] = int(row["done"] or 0)
    found = []
    for (key, name), group in groups.items():
        _finish(group)
        found.append({"key": key, "name": name, **group})
    found.sort(key=lambda r: (r["key"] is None, str(r["key"] or "")))
    return found


def _behind(rows) -> list[dict]:
    found = []
    for row in rows:
        if row["part"] != "behind":
            continue
        required, done, met = int(row["required"]), int(row["done"]), int(row["met"])
        found.append({"code": row["key"], "name": row["name"], "username": row["channel"],
                      "owner_name": row["owner"], "team": row["team"], "required": required,
                      "done": done, "met": met, "gap": required - met,
                      "rate": met / required if required else None})
    return sorted(found, key=lambda r: (-r["gap"], r["code"]))


def _empty(chans: list[str]) -> dict:
    return {"customers": 0, "tasks_done": 0,
            "channels": {c: {"required": 0, "done": 0, "met": 0} for c in chans}}


def _finish(group: dict) -> None:
    required = sum(f["required"] for f in group["channels"].values())
    met = sum(f["met"] for f in group["channels"].values())
    group["required"], group["met"] = required, met
    group["done"] = sum(f["done"] for f in group["channels"].values())
    group["rate"] = met / required if required else None


BANDS = ("low", "mid", "high", "none")     # < 50 %, 50–80 %, ≥ 80 %, nothing required


def band_of(rates):
    """The compliance band of a ``customer_rates`` row, in SQL (no floating point)."""
    return case((rates.c.required.is_(None), "none"), (rates.c.required == 0, "none"),
                (rates.c.met * 2 < rates.c.required, "low"),
                (rates.c.met * 5 < rates.c.required * 4, "mid"), else_="high")
