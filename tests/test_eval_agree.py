"""The engine agrees with the slow pure-Python reference on random data, on the backend
under test; a second pack (pharmacy tiers) and the default pack evaluate end to end."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from engine.evaluation import evaluate, export_scores
from engine.models import (Customer, CustomerScore, EvaluationRun, Order, Payment,
                           SegmentOverride, Visit)
from engine.packs import import_pack
from engine.setup import initialize
from tests.eval_support import (EVAL_DATA, D, Facts, Reference, differences, engine_view,
                                segments_by_code)
from tests.packs_support import PHARMACY_PACK

RULESETS = ("agree_mean", "agree_median", "agree_tiers")
AS_OF_DATES = (D(2026, 3, 31), D(2024, 2, 29), D(2025, 3, 1), D(2025, 12, 31),
               D(2024, 3, 31), D(2026, 1, 15))

money = st.one_of(st.sampled_from(["100", "0.01", "-20.50", "99.99", "250.75"]),
                  st.integers(-10_000, 500_000).map(lambda c: str(Decimal(c) / 100)))
offsets = st.integers(-40, 800)


@st.composite
def customers(draw, index):
    kind = draw(st.sampled_from(["clinic", "clinic", "lab", "pharmacy"]))
    profile = draw(st.fixed_dictionaries({}, optional={
        "beds": st.sampled_from([0, 50, 100, 499, 500, 800, 1200]),
        "tier": st.sampled_from(["a", "b", "c", ""]),
        "accredited": st.booleans(),
        "opened": st.sampled_from(["2019-05-01", "2021-06-30", "2024-02-29"]),
        "growth": st.one_of(st.sampled_from([0, 2.25, -3.5]),
                            st.floats(-50, 50, allow_nan=False).map(lambda x: round(x, 6))),
        "services": st.sampled_from([["lab"], ["lab", "scan"], []]),
    }))
    if kind != "clinic":
        profile = {k: v for k, v in profile.items() if k in ("beds", "tier")}
    return {
        "code": f"C{index:03d}", "type": kind, "profile": profile,
        "status": draw(st.sampled_from(["active", "active", "active", "", "inactive"])),
        "region": draw(st.sampled_from(["north", "south", "", None])),
        "orders": draw(st.lists(st.tuples(offsets, money, st.sampled_from(["P1", "P2", "P3"]),
                                          st.sampled_from([None, "10", "50.5", "-1"]),
                                          st.sampled_from([None, "1.5", "0.5", "2", "0.1"])),
                                max_size=6)),
        "payments": draw(st.lists(st.tuples(offsets, money,
                                            st.one_of(st.none(), st.integers(0, 200))),
                                  max_size=3)),
        "visits": draw(st.lists(st.tuples(offsets, st.sampled_from(["face_to_face", "phone"]),
                                          st.sampled_from([None, "r1", "r2"])), max_size=3)),
        "override": draw(st.sampled_from([None, None, None, "top", "gold"])),
    }


worlds = st.integers(1, 14).flatmap(
    lambda n: st.tuples(*[customers(i) for i in range(n)]))


@pytest.fixture
def agree(engine):
    import_pack(engine, EVAL_DATA / "agree_pack")
    facts = Facts(engine)
    facts.user("r1")
    facts.user("r2")
    for code, line, new in (("P1", "x", False), ("P2", "y", True), ("P3", None, False)):
        facts.product(code, line, new)
    return facts


def load(facts: Facts, world, as_of: dt.date) -> None:
    with facts.engine.begin() as connection:
        for model in (CustomerScore, EvaluationRun, Order, Payment, Visit, SegmentOverride,
                      Customer):
            connection.execute(delete(model))
    facts.customer_rows([{k: c[k] for k in ("code", "type", "status", "region", "profile")}
                         for c in world])
    day = lambda offset: as_of - dt.timedelta(days=offset)   # noqa: E731
    facts.orders([{"customer": c["code"], "date": day(o), "amount": a, "product": p,
                   "cost": cost, "quantity": q}
                  for c in world for o, a, p, cost, q in c["orders"]])
    facts.payments([{"customer": c["code"], "invoice_date": day(o), "amount": a,
                     "paid_date": None if paid is None else day(o) + dt.timedelta(days=paid)}
                    for c in world for o, a, paid in c["payments"]])
    facts.visits([{"customer": c["code"], "date": day(o), "channel": ch, "rep": rep}
                  for c in world for o, ch, rep in c["visits"]])
    for c in world:
        if c["override"]:
            for ruleset_id in RULESETS:
                facts.override(c["code"], ruleset_id, c["override"], until=as_of)


def assert_agrees(engine, ruleset_id: str, as_of: dt.date, dry_run: bool) -> None:
    result = evaluate(engine, ruleset_id, as_of=as_of, dry_run=dry_run)
    expected = Reference(engine, ruleset_id, as_of).evaluate()
    assert differences(engine_view(result), expected) == []
    if not dry_run:
        assert stored_rows(engine, result.run_id) == {r["customer_id"]: r
                                                      for r in result.records()}


def stored_rows(engine, run_id: int) -> dict:
    """The score rows of a run as read back through the model (JSON parsed)."""
    columns = [CustomerScore.customer_id, CustomerScore.segment, CustomerScore.previous_segment,
               CustomerScore.effective_segment, CustomerScore.axes, CustomerScore.metrics,
               CustomerScore.sides]
    with engine.connect() as connection:
        rows = connection.execute(select(*columns).where(CustomerScore.run_id == run_id))
        return {row.customer_id: dict(row._mapping) for row in rows}


@settings(max_examples=int(__import__("os").environ.get("EVAL_AGREE_EXAMPLES", 20)),
          deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(world=worlds, ruleset_id=st.sampled_from(RULESETS), first=st.sampled_from(AS_OF_DATES),
       later_days=st.integers(0, 200))
def test_engine_agrees_with_the_reference(engine, agree, world, ruleset_id, first, later_days):
    load(agree, world, first)
    # A stored run, then a dry run that reads it as the previous run (stability margin).
    assert_agrees(engine, ruleset_id, first, dry_run=False)
    assert_agrees(engine, ruleset_id, first + dt.timedelta(days=later_days), dry_run=True)


def test_pharmacy_tiers_pack_end_to_end(engine):
    """A second pack, nothing shared with the default one, evaluated from stored data."""
    import_pack(engine, PHARMACY_PACK)
    facts = Facts(engine)
    facts.user("rep1")
    facts.product("OTC1", line="otc")
    facts.product("RX1", line="rx")
    facts.product("DEV", line="device")
    rows = [("Y1", "national", True), ("Y2", "regional", False), ("Y3", "single", None),
            ("Y4", "single", False)]
    for code, chain, dtp in rows:
        profile = {"chain": chain} | ({} if dtp is None else {"dtp": dtp})
        facts.customer(code, type="pharmacy", **profile)
    facts.customer("H1", type="hospital")                    # out of scope
    as_of = D(2026, 3, 31)
    for n in range(6):
        facts.order("Y1", D(2026, 1, 1) + dt.timedelta(days=n), 1500, product="OTC1",
                    quantity=100)
    facts.order("Y2", D(2025, 11, 2), 200, product="RX1", quantity="12.5")
    facts.order("Y2", D(2025, 11, 3), 900, product="DEV", quantity=1000)
    facts.order("Y3", D(2025, 5, 1), 5000, product="OTC1", quantity=1)    # before the window
    facts.payment("Y2", D(2026, 1, 1), "300.25")
    facts.payment("Y1", D(2026, 1, 1), 100, paid_date=D(2026, 1, 5))
    for day in (D(2026, 2, 1), D(2026, 2, 1), D(2026, 2, 8)):
        facts.visit("Y1", day, rep="rep1")
    facts.visit("Y3", D(2026, 3, 1), channel="phone")
    result = evaluate(engine, "pharmacy_abc", as_of=as_of)
    expected = Reference(engine, "pharmacy_abc", as_of).evaluate()
    assert differences(engine_view(result), expected) == []
    metrics = engine_view(result)["metrics"]
    assert metrics["Y1"]["sell_in"] == 600.0 and metrics["Y2"]["sell_in"] == 12.5
    assert metrics["Y1"]["visit_days"] == 2.0 and metrics["Y3"]["visit_days"] == 0.0
    assert metrics["Y2"]["late_share"] == round(300.25 / 12.5, 9)
    assert metrics["Y2"]["dormant_days"] == 148.0 and metrics["Y3"]["dormant_days"] is None
    assert segments_by_code(result) == {"Y1": "tier_a", "Y2": "tier_b", "Y3": "tier_c",
                                        "Y4": "tier_c"}
    table = export_scores(engine, "pharmacy_abc")
    assert [row[0] for row in table.rows] == ["Y1", "Y2", "Y3", "Y4"]


def test_default_pack_end_to_end(engine):
    initialize(engine, admin_password="x")
    facts = Facts(engine)
    facts.product("A", line="onc")
    facts.product("B", line="cardio", is_new=True)
    profiles = [
        ("H1", dict(grade="3A", beds=1600, development_plan="expanding",
                    academic_influence="national_kol", prescription_openness="open",
                    region_growth=20)),
        ("H2", dict(grade="2A", beds=300, development_plan="stable")),
        ("H3", dict(grade="1", beds=900, academic_influence="local", region_growth=5.5)),
        ("H4", dict(grade="3B")),
    ]
    for code, profile in profiles:
        facts.customer(code, type="hospital", **profile)
    as_of = D(2026, 4, 1)
    for month in range(1, 12):
        facts.order("H1", D(2025, month, 10), "1200.50", product="A", cost="700")
    facts.order("H1", D(2026, 2, 1), 3000, product="B", cost=1000)
    facts.order("H2", D(2025, 6, 30), "-150", product="A")
    facts.order("H2", D(2025, 7, 1), 400, product="B", cost=100)
    facts.order("H3", D(2024, 8, 1), 999, product="A")
    facts.payment("H1", D(2026, 1, 1), 100, paid_date=D(2026, 1, 21))
    facts.payment("H2", D(2025, 12, 1), 100)
    result = evaluate(engine, "value_potential", as_of=as_of)
    expected = Reference(engine, "value_potential", as_of).evaluate()
    assert differences(engine_view(result), expected) == []
    assert segments_by_code(result)["H1"] == "star"
    assert engine_view(result)["metrics"]["H3"]["revenue_prev"] == 999.0
