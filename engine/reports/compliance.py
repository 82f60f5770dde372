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

from sqlalchemy import (Date, Integer, String, and_, case, cast, exists, func, literal, null,
                        select, union_all)
from sqlalchemy.orm import Session

from engine.definitions.published import published_specs
from engine.errors import InvalidInput, Problem
from engine.models import Customer, CustomerScore, EvaluationRun, Task, User, Visit
from engine.reports.filters import ReportFilter, customer_condition, customer_ids
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
    pairs = _rows((("segment", String()), ("channel", String())),
                  list(dict.fromkeys((r.segment, r.channel) for r in needs)))
    stay = (select(CustomerScore.customer_id, CustomerScore.effective_segment.label("segment"),
                   iv.c.run_id, iv.c.start, iv.c.end, iv.c.days)
            .join(iv, CustomerScore.run_id == iv.c.run_id)
            .where(CustomerScore.effective_segment.is_not(None),
                   CustomerScore.customer_id.in_(customer_ids(viewer, filters)))
            .subquery("stay"))
    done, source = _contacts(session.get_bind().dialect.name, stay, pairs, iv,
                             customer_ids(viewer, filters))
    # Materialized: the count is read three times below, and a subquery merged into its
    # reader would count the visits each time.
    stays = materialized(select(stay.c.customer_id, stay.c.segment, pairs.c.channel,
                                stay.c.days, done.label("done")).select_from(source), "stays")
    if len(intervals) > 1:       # a customer may stay in a segment over several runs
        stays = (select(stays.c.customer_id, stays.c.segment, stays.c.channel,
                        func.sum(stays.c.days).label("days"), func.sum(stays.c.done).label("done"))
                 .group_by(stays.c.customer_id, stays.c.segment, stays.c.channel)
                 .subquery("stays"))
    need = (select(stays.c.customer_id, stays.c.segment, stays.c.channel,
                   _required(needs, stays).label("required"), stays.c.done)
            .subquery("need"))
    query = select(need.c.customer_id, need.c.segment, need.c.channel, need.c.required,
                   need.c.done, case((need.c.done < need.c.required, need.c.done),
                                     else_=need.c.required).label("met"))
    return materialized(query, "cells") if cte else query.subquery("cells")


def _contacts(dialect: str, stay, pairs, iv, in_view):
    """The contacts of each stay on each channel its segment requires (``done``), and the
    stays joined to those channels (and what ``done`` reads).

    SQLite counts them per stay in the visits' (customer, channel, date) index, without
    reading or grouping every visit. PostgreSQL runs such a count as a subplan per stay (a few
    microseconds each, 100,000 times) and hashes faster: the visits of the customers in view
    counted per customer, channel and run interval (the intervals do not overlap), joined to
    the stays."""
    source = stay.join(pairs, pairs.c.segment == stay.c.segment)
    if dialect == "sqlite":
        return (select(func.count()).select_from(Visit)
                .where(Visit.customer_id == stay.c.customer_id, Visit.channel == pairs.c.channel,
                       Visit.date >= stay.c.start, Visit.date < stay.c.end)
                .scalar_subquery()), source
    counts = (select(Visit.customer_id, Visit.channel, iv.c.run_id,
                     func.count().label("done"))
              .join(iv, and_(Visit.date >= iv.c.start, Visit.date < iv.c.end))
              .where(Visit.customer_id.in_(in_view))
              .group_by(Visit.customer_id, Visit.channel, iv.c.run_id).subquery("contacts"))
    return func.coalesce(counts.c.done, 0), source.outerjoin(
        counts, and_(counts.c.customer_id == stay.c.customer_id,
                     counts.c.channel == pairs.c.channel, counts.c.run_id == stay.c.run_id))


def _required(needs: list[Requirement], stays):
    """The contacts required of a stay of ``stays.c.days`` days in a segment on a channel: per
    template of the segment on the channel, a contact every ``every_days`` days."""
    every: dict[tuple[str, str], list[int]] = {}
    for need in needs:
        every.setdefault((need.segment, need.channel), []).append(need.every_days)
    days = cast(stays.c.days, Integer)
    return case(*[(and_(stays.c.segment == segment, stays.c.channel == channel),
                   sum((days // literal(n, Integer()) for n in numbers[1:]),
                       days // literal(numbers[0], Integer())))
                  for (segment, channel), numbers in every.items()])


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
    # The tasks completed in a period are a few of all, found by completion time: the customer
    # is checked per task (EXISTS), not every task looked up per customer in view (IN); and the
    # workflow is compared as an expression, off the index that leads with it, which every task
    # of the workflow matches (a sampled ANALYZE can make it look selective to SQLite).
    in_view = exists(select(Customer.id).where(Customer.id == Task.customer_id,
                                               customer_condition(viewer, filters)))
    workflow = Task.workflow_id.concat("")
    query = (select(Task.customer_id, Task.segment, func.count(Task.id).label("tasks_done"))
             .where(workflow.in_(workflow_ids(session, filters.ruleset)),
                    Task.status == "done", Task.completed_at >= start,
                    Task.completed_at < end, in_view)
             .group_by(Task.customer_id, Task.segment))
    return materialized(query, "tasks_done")      # read by several branches, computed once


DIMENSIONS = ("segment", "team", "owner")
# One statement answers the whole report, told apart by ``part``. The per-customer cells are
# computed once (a materialized CTE) and read twice, each time into a smaller table: per
# segment and channel (and owner), and per customer. Every figure is a branch of a UNION ALL
# over those (and the completed tasks), so no branch regroups the cells. Columns of every
# branch: part, key, name, channel, owner, team, customers, required, done, met (NULL where a
# branch has nothing to say).
_TEXT = ("key", "name", "channel", "owner", "team")
_NUMBERS = ("customers", "required", "done", "met")


def _branch(part: str, source, group: tuple = (), **values):
    """One branch of the report's UNION ALL: ``values`` by column name, NULL elsewhere."""
    columns = [literal(part, String()).label("part")]
    columns += [(values[c] if c in values else cast(null(), String())).label(c) for c in _TEXT]
    columns += [(cast(values[c], Integer) if c in values else cast(null(), Integer())).label(c)
                for c in _NUMBERS]
    return select(*columns).select_from(source).group_by(*group)


def _figure_sums(source) -> dict:
    return {name: func.sum(source.c[name]) for name in ("required", "done", "met")}


def _grouped_cells(cells, by_owner: bool):
    """The cells summed per segment and channel, and per owner when ``by_owner`` (for the
    team and rep views). ``customers`` counts the rows, which is the customers in the segment:
    a customer has a cell for every channel its segment's templates name, whether anything was
    required or not (``customer_cells``)."""
    keys = [cells.c.segment, cells.c.channel]
    figures = [func.count().label("customers"),
               *[total.label(name) for name, total in _figure_sums(cells).items()]]
    if not by_owner:
        return materialized(select(*keys, *figures).group_by(*keys), "grouped_cells")
    return materialized(select(Customer.owner_id, *keys, *figures)
                        .join(Customer, Customer.id == cells.c.customer_id)
                        .group_by(Customer.owner_id, *keys), "grouped_cells")


def _customer_totals(cells):
    """The cells summed per customer."""
    return materialized(
        select(cells.c.customer_id,
               *[total.label(name) for name, total in _figure_sums(cells).items()])
        .group_by(cells.c.customer_id), "customer_totals")


def _furthest_behind(totals):
    """The ``BEHIND_LIMIT`` customers with most contacts required and not done, by code among
    equals, with their names. Only those at or above the ``BEHIND_LIMIT``-th largest gap are
    looked up in ``customers``, not every customer behind."""
    owner = User.__table__.alias("owner")
    gap = totals.c.required - totals.c.met
    cutoff = (select(gap).where(gap > 0).order_by(gap.desc()).offset(BEHIND_LIMIT - 1)
              .limit(1).scalar_subquery())
    return (select(totals.c.required, totals.c.done, totals.c.met, Customer.code,
                   Customer.name, owner.c.username, owner.c.name.label("owner_name"),
                   owner.c.team)
            .join(Customer, Customer.id == totals.c.customer_id)
            .outerjoin(owner, owner.c.id == Customer.owner_id)
            .where(gap > 0, gap >= func.coalesce(cutoff, 0))
            .order_by(gap.desc(), Customer.code).limit(BEHIND_LIMIT).subquery("furthest"))


def _dimension_branches(dimension: str, grouped, totals, tasks) -> list:
    """The branches of one dimension: its cells per channel, its customers and its tasks."""
    owner = User.__table__.alias("owner")
    if dimension == "segment":
        # A segment's customers are the count of its cells on any one of its channels.
        return [_branch("cells segment", grouped, (grouped.c.segment, grouped.c.channel),
                        key=grouped.c.segment, channel=grouped.c.channel,
                        customers=func.sum(grouped.c.customers), **_figure_sums(grouped)),
                _branch("tasks segment", tasks, (tasks.c.segment,), key=tasks.c.segment,
                        done=func.sum(tasks.c.tasks_done))]
    owned_totals = (select(Customer.owner_id).join(totals, totals.c.customer_id == Customer.id)
                    .subquery("owned_totals"))
    owned_tasks = (select(tasks.c.tasks_done, Customer.owner_id)
                   .join(Customer, Customer.id == tasks.c.customer_id).subquery("owned_tasks"))
    by_owner = {source: source.outerjoin(owner, owner.c.id == source.c.owner_id)
                for source in (grouped, owned_totals, owned_tasks)}
    keys = _keys(owner, dimension)
    return [_branch(f"cells {dimension}", by_owner[grouped], (*keys.values(), grouped.c.channel),
                    channel=grouped.c.channel, **keys, **_figure_sums(grouped)),
            _branch(f"customers {dimension}", by_owner[owned_totals], tuple(keys.values()),
                    customers=func.count(), **keys),
            _branch(f"tasks {dimension}", by_owner[owned_tasks], tuple(keys.values()),
                    done=func.sum(owned_tasks.c.tasks_done), **keys)]


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
    grouped = _grouped_cells(cells, by_owner=bool(set(dimensions) - {"segment"}))
    totals = _customer_totals(cells)
    tasks = _tasks_done(session, viewer, filters, period)
    branches = []
    for dimension in dimensions:
        branches += _dimension_branches(dimension, grouped, totals, tasks)
    furthest = _furthest_behind(totals)
    branches += [
        _branch("total", grouped, (grouped.c.channel,), channel=grouped.c.channel,
                **_figure_sums(grouped)),
        _branch("total customers", totals, customers=func.count()),
        _branch("total tasks", tasks, done=func.coalesce(func.sum(tasks.c.tasks_done), 0))
        .where(tasks.c.customer_id.in_(select(totals.c.customer_id))),
        _branch("behind", furthest, key=furthest.c.code, name=furthest.c.name,
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


def _keys(owner, dimension: str) -> dict:
    """The owner's columns a dimension groups by, named as the report's ``key`` and ``name``."""
    if dimension == "team":
        return {"key": owner.c.team}
    return {"key": owner.c.username, "name": owner.c.name}


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
            if dimension == "segment":      # the same on each of the segment's channels
                group["customers"] = int(row["customers"])
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
