"""SOP compliance and conversion on a random world, against the figures recomputed in Python
from the stored rows, for an admin and a manager, over a period of one run and of several:
the reports' SQL is shaped for speed (a cell table read twice, contacts counted per stay,
small tables regrouped), and this keeps it answering what the definitions say.

The world (tests/reports_b_world.py) adds 60 customers of random owners (r1 of team east,
r2 of team west, nobody), random effective segments in the runs R1..R3 (some unscored), contacts
on the required channels and on one no template asks for, and completed tasks.
"""
from __future__ import annotations

import datetime as dt
import random

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.access import Viewer
from engine.db import transaction
from engine.models import Customer, CustomerScore, Task, User, Visit
from engine.reports import compliance as sop
from engine.reports import conversion
from engine.reports.filters import ReportFilter, customer_condition
from reports_b_world import RULESET, _world_snapshot, sop_world, world  # noqa: F401

SEGMENTS = ("star", "cash_cow", "question", "dog", None)
CHANNELS = ("face_to_face", "phone", "email")
FIRST_DAY, DAYS = dt.date(2026, 9, 1), 130


@pytest.fixture
def crowd(engine, sop_world):  # noqa: F811
    """The sop world with 60 random customers; returns it."""
    chance = random.Random(12)
    with transaction(engine) as session:
        users = dict(session.execute(select(User.username, User.id)).all())
        for number in range(60):
            owner = chance.choice(("r1", "r2", None))
            customer = Customer(code=f"X{number:02d}", name=f"X{number:02d} 医院",
                                normalized_name=f"x{number:02d}", type="hospital",
                                owner_id=users.get(owner), status="active")
            session.add(customer)
            session.flush()
            for run in ("R1", "R2", "R3"):
                segment = chance.choice(SEGMENTS + ("unscored",))
                if segment != "unscored":
                    session.add(CustomerScore(run_id=sop_world.runs[run],
                                              customer_id=customer.id, segment=segment,
                                              effective_segment=segment, axes={}, metrics={}))
            for visit in range(chance.randrange(0, 25)):
                session.add(Visit(visit_id=f"X{number}-{visit}", customer_id=customer.id,
                                  date=FIRST_DAY + dt.timedelta(chance.randrange(DAYS)),
                                  channel=chance.choice(CHANNELS)))
            for task in range(chance.randrange(0, 4)):
                completed = dt.datetime.combine(FIRST_DAY + dt.timedelta(chance.randrange(DAYS)),
                                                dt.time(9), tzinfo=dt.timezone.utc)
                session.add(Task(workflow_id="quadrant_followup", customer_id=customer.id,
                                 template="weekly_visit", segment=chance.choice(SEGMENTS[:4]),
                                 title={"en": "visit"}, kind="visit", status="done",
                                 due_date=completed.date(), completed_at=completed,
                                 completed_by="r1", idempotency_key=f"X{number}-{task}"))
    return sop_world


def viewer(engine, username: str) -> Viewer:
    with engine.connect() as connection:
        user = connection.execute(select(User).where(User.username == username)).one()
    return Viewer(id=user.id, username=user.username, role=user.role, team=user.team)


def periods(runs: dict) -> list[tuple[ReportFilter, str | None, str | None]]:
    """Filters and period bounds: R1..R3 (two runs hold), R2..R3 (one), and dates that clip
    both runs' stays."""
    return [(ReportFilter(ruleset=RULESET, run=runs["R3"], run_b=runs["R1"]), None, None),
            (ReportFilter(ruleset=RULESET, run=runs["R3"], run_b=runs["R2"]), None, None),
            (ReportFilter(ruleset=RULESET, run=runs["R3"], run_b=runs["R1"]), "2026-10-20",
             "2026-12-10")]


class Facts:
    """The stored rows a report reads, for the customers in view."""

    def __init__(self, session: Session, who: Viewer, filters: ReportFilter, period):
        self.customers = {row.id: row for row in session.execute(
            select(Customer.id, Customer.code, Customer.name, User.username, User.name.label(
                "owner_name"), User.team).outerjoin(User, User.id == Customer.owner_id)
            .where(customer_condition(who, filters)))}
        self.segments = {(run, customer): segment for run, customer, segment in session.execute(
            select(CustomerScore.run_id, CustomerScore.customer_id,
                   CustomerScore.effective_segment))}
        self.visits = session.execute(select(Visit.customer_id, Visit.channel, Visit.date)).all()
        self.tasks = session.execute(
            select(Task.customer_id, Task.segment).where(
                Task.workflow_id == "quadrant_followup", Task.status == "done",
                Task.completed_at >= dt.datetime.combine(period.start, dt.time(),
                                                         tzinfo=dt.timezone.utc),
                Task.completed_at < dt.datetime.combine(period.end, dt.time(),
                                                        tzinfo=dt.timezone.utc))).all()
        self.needs = sop.requirements(session, RULESET)
        self.intervals = sop.run_intervals(session, RULESET, period)

    def cells(self) -> dict[tuple, list[int]]:
        """(customer, segment, channel) → [required, done, met], as the SOP defines them."""
        stays: dict[tuple, list] = {}
        for run, start, end, days in self.intervals:
            for customer in self.customers:
                segment = self.segments.get((run, customer))
                if segment is not None:
                    stays.setdefault((customer, segment), []).append((start, end, days))
        cells = {}
        for (customer, segment), spans in stays.items():
            total = sum(days for _, _, days in spans)
            for need in self.needs:
                if need.segment != segment:
                    continue
                cell = cells.setdefault((customer, segment, need.channel), [0, 0, 0])
                cell[0] += total // need.every_days
        for (customer, segment, channel), cell in cells.items():
            spans = stays[(customer, segment)]
            cell[1] = sum(1 for c, ch, day in self.visits if c == customer and ch == channel
                          and any(start <= day < end for start, end, _ in spans))
            cell[2] = min(cell[0], cell[1])
        return cells


def expected_compliance(facts: Facts, chans: list[str]) -> dict:
    cells = facts.cells()
    in_cells = {customer for customer, _, _ in cells}

    def key_of(dimension: str, customer: int, segment: str) -> tuple:
        row = facts.customers[customer]
        return {"segment": (segment, None), "team": (row.team, None),
                "owner": (row.username, row.owner_name)}[dimension]

    groups = {}
    for dimension in sop.DIMENSIONS:
        found: dict[tuple, dict] = {}
        for (customer, segment, channel), (required, done, met) in cells.items():
            group = found.setdefault(key_of(dimension, customer, segment),
                                     {"customers": set(), "tasks_done": 0,
                                      "channels": {c: [0, 0, 0] for c in chans}})
            group["customers"].add(customer)
            figures = group["channels"][channel]
            for i, value in enumerate((required, done, met)):
                figures[i] += value
        for customer, segment in facts.tasks:
            if customer in facts.customers:
                key = key_of(dimension, customer, segment)
                if key in found:
                    found[key]["tasks_done"] += 1
        groups[dimension] = sorted(
            ((key, name, len(g["customers"]), g["tasks_done"], g["channels"])
             for (key, name), g in found.items()), key=lambda r: (r[0] is None, str(r[0] or "")))
    totals = {c: [0, 0, 0] for c in chans}
    per_customer: dict[int, list[int]] = {}
    for (customer, _, channel), figures in cells.items():
        for i, value in enumerate(figures):
            totals[channel][i] += value
            per_customer.setdefault(customer, [0, 0, 0])[i] += value
    behind = sorted(((facts.customers[c].code, r - m) for c, (r, d, m) in per_customer.items()
                     if r - m > 0), key=lambda b: (-b[1], b[0]))[:sop.BEHIND_LIMIT]
    tasks = sum(1 for customer, _ in facts.tasks if customer in in_cells)
    return {"groups": groups, "total": (len(in_cells), tasks, totals), "behind": behind}


def reported_compliance(report: dict) -> dict:
    def channels(group):
        return {c: [f["required"], f["done"], f["met"]] for c, f in group["channels"].items()}

    total = report["total"]
    return {"groups": {d: [(g["key"], g["name"], g["customers"], g["tasks_done"], channels(g))
                           for g in rows] for d, rows in report["groups"].items()},
            "total": (total["customers"], total["tasks_done"], channels(total)),
            "behind": [(b["code"], b["gap"]) for b in report["behind"]]}


def band(required: int, met: int) -> str:
    if not required:
        return "none"
    return "low" if met * 2 < required else "mid" if met * 5 < required * 4 else "high"


def expected_conversion(facts: Facts, filters: ReportFilter) -> dict:
    rates: dict[int, list[int]] = {}
    for (customer, _, _), (required, _, met) in facts.cells().items():
        rate = rates.setdefault(customer, [0, 0])
        rate[0] += required
        rate[1] += met
    counts: dict[tuple, int] = {}
    for customer, row in facts.customers.items():
        before = facts.segments.get((filters.run_b, customer))
        if before is None:
            continue
        after = facts.segments.get((filters.run, customer))
        for key in (("total", "all", None), ("band", band(*rates.get(customer, (0, 0))), None),
                    ("team", row.team, None), ("owner", row.username, row.owner_name)):
            counts[(*key, before, after)] = counts.get((*key, before, after), 0) + 1
    return counts


@pytest.mark.parametrize("username", ["admin", "m1"])
def test_compliance_and_conversion_as_recomputed_from_the_rows(engine, crowd, username):
    who = viewer(engine, username)
    for filters, start, end in periods(crowd.runs):
        with Session(engine) as session:
            period = sop.period_of(session, filters, start, end)
            facts = Facts(session, who, filters, period)
            report = sop.compliance(session, who, filters, period)
            converted = conversion.conversion(session, who, filters, period)
        assert facts.cells(), "the world must give the report something to count"
        assert reported_compliance(report) == expected_compliance(facts, report["channels"]), \
            (filters, period)
        found = {(dimension, row["key"], row["name"], row["from"], row["to"]): row["customers"]
                 for dimension, rows in converted["rows"].items() for row in rows}
        assert found == expected_conversion(facts, filters), (filters, period)
