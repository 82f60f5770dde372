"""A hand-made world for the SOP compliance, conversion and concentration reports, on top of the
web world (C1 owned by r1 of team east, C2 by r2 of team west, C3 inactive):

- runs: the world's run R1 as of 2026-10-01, R2 as of 2026-11-15, R3 as of 2026-12-30, each
  evaluated and followed; their effective segments are then set by hand:
  C1 star → question → star, C2 dog → dog → cash_cow.
- period R1..R3 = [2026-10-01, 2026-12-30): 90 days, R1 holds 45 days, R2 45 days.
  C1: star 45 d (weekly visit: 45 // 7 = 6 required), question 45 d (weekly: 6) → 12 visits.
  C2: dog 90 d (monthly call: 90 // 30 = 3 required calls).
- visits: C1 face_to_face 4 while star (one more before the period, and a phone call that no
  template asks for), 3 while question → met 7 of 12; C2 phone 4 → done 4, met 3 of 3.
- one task of C1 completed in the period.
- facts for the concentration KPIs at R1 (window [2025-10-01, 2026-10-01)): the world's orders
  (C1 900,000.00, C2 300,000.00, half of it cost), an order of C1 in the window before
  (450,000.00), C1's invoices paid after 20 days and unpaid for 30 days, one visit of C1 in the
  window (the one before the period).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select, update

from engine.db import transaction
from engine.models import Customer, CustomerScore, Order, Payment, Product, Task, User, Visit
from engine.runs import evaluate_and_follow
from web_world import RULESET, _world_snapshot, world  # noqa: F401  (fixtures)

R2_AS_OF = dt.date(2026, 11, 15)
R3_AS_OF = dt.date(2026, 12, 30)
SEGMENTS = {"R1": {"C1": "star", "C2": "dog"}, "R2": {"C1": "question", "C2": "dog"},
            "R3": {"C1": "star", "C2": "cash_cow"}}
VISITS = (  # customer, date, channel
    ("C1", dt.date(2026, 9, 15), "face_to_face"),      # before the period
    ("C1", dt.date(2026, 10, 2), "face_to_face"), ("C1", dt.date(2026, 10, 9), "face_to_face"),
    ("C1", dt.date(2026, 10, 20), "face_to_face"), ("C1", dt.date(2026, 11, 14), "face_to_face"),
    ("C1", dt.date(2026, 10, 21), "phone"),             # no template asks for calls from C1
    ("C1", dt.date(2026, 11, 15), "face_to_face"), ("C1", dt.date(2026, 12, 1), "face_to_face"),
    ("C1", dt.date(2026, 12, 29), "face_to_face"),
    ("C1", dt.date(2026, 12, 30), "face_to_face"),     # the period's end: excluded
    ("C2", dt.date(2026, 10, 5), "phone"), ("C2", dt.date(2026, 11, 5), "phone"),
    ("C2", dt.date(2026, 12, 5), "phone"), ("C2", dt.date(2026, 12, 6), "phone"),
)


@dataclass
class Sop:
    world: object
    runs: dict[str, int] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)


@pytest.fixture
def sop_world(engine, world) -> Sop:  # noqa: F811
    built = Sop(world, runs={"R1": world.run_id})
    built.runs["R2"] = evaluate_and_follow(engine, RULESET, as_of=R2_AS_OF).run_id
    built.runs["R3"] = evaluate_and_follow(engine, RULESET, as_of=R3_AS_OF).run_id
    with transaction(engine) as session:
        built.ids = dict(session.execute(select(Customer.code, Customer.id)).all())
        for run, segments in SEGMENTS.items():
            for code, segment in segments.items():
                session.execute(update(CustomerScore).where(
                    CustomerScore.run_id == built.runs[run],
                    CustomerScore.customer_id == built.ids[code])
                    .values(effective_segment=segment, segment=segment))
        reps = dict(session.execute(select(User.username, User.id)).all())
        for number, (code, day, channel) in enumerate(VISITS):
            session.add(Visit(visit_id=f"SOP-{number}", customer_id=built.ids[code],
                              rep_id=reps["r1" if code == "C1" else "r2"], date=day,
                              channel=channel))
        task = session.scalar(select(Task).where(Task.customer_id == built.ids["C1"])
                              .order_by(Task.id).limit(1))
        task.status, task.completed_by = "done", "r1"
        task.completed_at = dt.datetime(2026, 10, 10, 9, tzinfo=dt.timezone.utc)
        product = session.scalar(select(Product.id).where(Product.code == "P1"))
        session.add(Order(order_id="O-C1-prev", customer_id=built.ids["C1"],
                          date=dt.date(2025, 6, 1), product_id=product,
                          quantity_milli=1000, amount_cents=450_000_00, cost_cents=None))
        session.add(Payment(invoice_id="I-1", customer_id=built.ids["C1"],
                            invoice_date=dt.date(2026, 8, 1), amount_cents=100_00,
                            paid_date=dt.date(2026, 8, 21)))
        session.add(Payment(invoice_id="I-2", customer_id=built.ids["C1"],
                            invoice_date=dt.date(2026, 9, 1), amount_cents=100_00,
                            paid_date=None))
    return built
