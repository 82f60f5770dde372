"""Metric values, hand-computed: aggregates in SQL, fields, formulas (SPEC §3.2, §3.3, §3.5)."""
from __future__ import annotations

import pytest

from engine.evaluation import evaluate
from tests.eval_support import D, Facts, by_code, install, ruleset

AS_OF = D(2026, 3, 31)
IN = D(2026, 1, 15)        # inside a 12-month window
OLD = D(2024, 6, 1)        # outside it


def run(engine, tmp_path, metrics, build=None, **options):
    install(engine, tmp_path, ruleset(metrics=metrics, **options))
    facts = Facts(engine)
    if build:
        build(facts)
    return evaluate(engine, "rs", as_of=AS_OF, dry_run=True)


def test_money_is_summed_exactly(engine, tmp_path):
    def build(f):
        f.customer("C1", type="clinic")
        for amount in ("0.10", "0.20", "-0.05", "1000000.01"):
            f.order("C1", IN, amount, cost="0.03")
    result = run(engine, tmp_path, {
        "revenue": {"aggregate": "sum", "of": "orders.amount"},
        "net": {"aggregate": "sum", "of": "orders.amount - orders.cost"},
        "low": {"aggregate": "min", "of": "orders.amount"},
        "mean": {"aggregate": "avg", "of": "orders.amount"}}, build)
    assert by_code(result, "revenue") == {"C1": 1000000.26}       # not 1000000.2600000001
    assert by_code(result, "net") == {"C1": 1000000.14}
    assert by_code(result, "low") == {"C1": -0.05}                  # returns count as they are
    assert by_code(result, "mean") == {"C1": 100000026 / 400}       # one correctly rounded division


def test_empty_windows(engine, tmp_path):
    """sum, count, count_distinct are 0 over no rows; avg, min, max are null."""
    def build(f):
        f.customer("C1", type="clinic")
        f.order("C1", OLD, 5)
        f.customer("C2", type="clinic")
        f.order("C2", IN, 5, cost=None)
    result = run(engine, tmp_path, {
        "s": {"aggregate": "sum", "of": "orders.amount"},
        "c": {"aggregate": "count", "of": "orders"},
        "cd": {"aggregate": "count_distinct", "of": "orders.product_code"},
        "a": {"aggregate": "avg", "of": "orders.amount"},
        "mn": {"aggregate": "min", "of": "orders.date"},
        "mx": {"aggregate": "max", "of": "orders.amount"},
        "cost_sum": {"aggregate": "sum", "of": "orders.cost"},
        "cost_avg": {"aggregate": "avg", "of": "orders.cost"},
        "cost_count": {"aggregate": "count", "of": "orders.cost"}}, build)
    assert [by_code(result, m)["C1"] for m in ("s", "c", "cd", "a", "mn", "mx")] == \
        [0.0, 0.0, 0.0, None, None, None]
    # C2 has a row, but no non-null cost: the same answers.
    assert [by_code(result, m)["C2"] for m in ("cost_sum", "cost_avg", "cost_count")] == \
        [0.0, None, 0.0]


def test_counts_where_and_distinct(engine, tmp_path):
    def build(f):
        f.product("A", line="onc", is_new=True)
        f.product("B", line="onc")
        f.product("C", line=None, is_new=True)
        f.customer("C1", type="clinic")
        f.order("C1", D(2026, 1, 5), 100, product="A", cost=1)
        f.order("C1", D(2026, 1, 20), 50, product="B")
        f.order("C1", D(2026, 2, 1), 300, product="C", cost=2)
        f.order("C1", D(2026, 2, 2), 300, product="C", cost=2)
    result = run(engine, tmp_path, {
        "rows": {"aggregate": "count", "of": "orders"},
        "costed": {"aggregate": "count", "of": "orders.cost"},
        "lines": {"aggregate": "count_distinct", "of": "orders.product_line"},
        "months": {"aggregate": "count_distinct", "of": "month(orders.date)"},
        "amounts": {"aggregate": "count_distinct", "of": "orders.amount"},
        "new_rev": {"aggregate": "sum", "of": "orders.amount", "where": "orders.product_is_new"},
        "big": {"aggregate": "count", "of": "orders", "where": "orders.amount >= 300"},
        "first": {"aggregate": "min", "of": "orders.date", "where": "orders.amount < 300"},
        "last": {"aggregate": "max", "of": "orders.date"}}, build)
    got = {m: by_code(result, m)["C1"] for m in result.metrics}
    assert got == {"rows": 4.0, "costed": 3.0, "lines": 1.0, "months": 2.0, "amounts": 3.0,
                   "new_rev": 700.0, "big": 2.0, "first": D(2026, 1, 5),
                   "last": D(2026, 2, 2)}


def test_offset_windows(engine, tmp_path):
    def build(f):
        f.customer("C1", type="clinic")
        f.order("C1", D(2025, 3, 30), 1)       # before both windows
        f.order("C1", D(2025, 3, 31), 10)      # first day of the offset window
        f.order("C1", D(2025, 12, 30), 100)    # last day of the offset window
        f.order("C1", D(2025, 12, 31), 1000)   # first day of the 3-month window
    result = run(engine, tmp_path, {
        "recent": {"aggregate": "sum", "of": "orders.amount", "window": {"months": 3}},
        "before": {"aggregate": "sum", "of": "orders.amount",
                   "window": {"months": 9, "offset_months": 3}}}, build)
    assert by_code(result, "recent") == {"C1": 1000.0}
    assert by_code(result, "before") == {"C1": 110.0}


def test_days_to_pay_is_measured_to_as_of(engine, tmp_path):
    def build(f):
        f.customer("C1", type="clinic")
        f.payment("C1", D(2026, 3, 1), 10, paid_date=D(2026, 3, 11))     # 10 days
        f.payment("C1", D(2026, 3, 1), 10)                               # unpaid: 30 days
        f.payment("C1", D(2026, 3, 1), 10, paid_date=D(2026, 5, 1))      # paid after: 30
        f.customer("C2", type="clinic")
        f.payment("C2", D(2026, 3, 30), 10)                              # 1 day
        f.payment("C2", D(2026, 3, 29), 10, paid_date=D(2026, 3, 29))    # 0 days
    result = run(engine, tmp_path, {
        "avg_days": {"aggregate": "avg", "of": "payments.days_to_pay"},
        "worst": {"aggregate": "max", "of": "payments.days_to_pay"},
        "unpaid": {"aggregate": "sum", "of": "payments.amount",
                   "where": "payments.paid_date is null"}}, build)
    assert by_code(result, "avg_days") == {"C1": 70 / 3, "C2": 0.5}
    assert by_code(result, "worst") == {"C1": 30.0, "C2": 1.0}
    assert by_code(result, "unpaid") == {"C1": 10.0, "C2": 10.0}


def test_computed_row_values_are_rounded_after_aggregating(engine, tmp_path):
    def build(f):
        f.customer("C1", type="clinic")
        for quantity in ("0.1", "0.2", "0.3"):
            f.order("C1", IN, 1, quantity=quantity)
    result = run(engine, tmp_path, {
        "qty": {"aggregate": "sum", "of": "orders.quantity * 1"},
        "qty_exact": {"aggregate": "sum", "of": "orders.quantity"},
        "third": {"aggregate": "avg", "of": "orders.amount / 3"}}, build)
    assert by_code(result, "qty") == {"C1": 0.6}          # 0.1+0.2+0.3 in doubles is 0.6000000000000001
    assert by_code(result, "qty_exact") == {"C1": 0.6}
    assert by_code(result, "third") == {"C1": 0.333333333}


def test_text_min_max_in_code_point_order(engine, tmp_path):
    def build(f):
        f.customer("C1", type="clinic")
        for channel in ("b", "Z", "é", "中", "a"):
            f.visit("C1", IN, channel=channel)
    result = run(engine, tmp_path, {
        "first": {"aggregate": "min", "of": "visits.channel"},
        "last": {"aggregate": "max", "of": "visits.channel"},
        "kinds": {"aggregate": "count_distinct", "of": "visits.channel"}}, build)
    assert by_code(result, "first") == {"C1": "Z"}
    assert by_code(result, "last") == {"C1": "中"}
    assert by_code(result, "kinds") == {"C1": 5.0}


def test_fact_columns_from_joins_and_as_of(engine, tmp_path):
    def build(f):
        f.user("alice")
        f.customer("C1", type="clinic")
        f.visit("C1", D(2026, 3, 1), rep="alice")
        f.visit("C1", D(2026, 3, 2))
        f.visit("C1", D(2026, 3, 25), rep="alice", channel="phone")
        f.order("C1", IN, 7, product="X9")
    result = run(engine, tmp_path, {
        "reps": {"aggregate": "count_distinct", "of": "visits.rep"},
        "recent": {"aggregate": "count", "of": "visits",
                   "where": "days(visits.date, as_of) <= 7"},
        "mine": {"aggregate": "count", "of": "visits.customer", "where": "visits.rep == 'alice'"},
        "x9": {"aggregate": "sum", "of": "orders.amount", "where": "orders.product_code == 'X9'"}},
        build)
    got = {m: by_code(result, m)["C1"] for m in result.metrics}
    assert got == {"reps": 1.0, "recent": 1.0, "mine": 2.0, "x9": 7.0}


def test_scope_is_active_customers_of_the_listed_types(engine, tmp_path):
    def build(f):
        f.customer("IN1", type="clinic")
        f.customer("IN2", type="clinic", status="")         # empty status is active
        f.customer("OUT1", type="clinic", status="inactive")
        f.customer("OUT2", type="Clinic")                   # types compare exactly
        f.customer("OUT3", type="pharmacy")
        f.customer("OUT4", type="clinic", status="Active")
        for code in ("IN1", "IN2", "OUT1", "OUT2", "OUT3", "OUT4"):
            f.order(code, IN, 10)
    result = run(engine, tmp_path, {"revenue": {"aggregate": "sum", "of": "orders.amount"}},
                 build)
    assert by_code(result, "revenue") == {"IN1": 10.0, "IN2": 10.0}


def test_fields_from_profiles_and_core_attributes(engine, tmp_path):
    def build(f):
        f.user("owner1")
        f.customer("C1", type="clinic", region="north", owner="owner1", beds=120, grade="1",
                   growth=2.5, certified=False, opened="2020-02-29", note="x")
        f.customer("C2", type="clinic", region="", note="", grade="")
        f.customer("L1", type="lab", beds=99, note="lab note")    # the lab form has no beds
        # Values that do not fit their field: a number in a select, a list, text for a number.
        f.customer("C3", type="clinic", grade=1, note=["x", "", "y"], beds="12",
                   certified="yes", opened="2020-02-30", growth=True)
    lab_form = {"kind": "form", "id": "lab", "title": "Lab", "customer_type": "lab",
                "fields": [{"key": "note", "label": "Note", "type": "text"}]}
    from tests.eval_support import CLINIC_FORM
    install(engine, tmp_path, ruleset(applies_to=("clinic", "lab"), metrics={
        "beds": {"field": "beds"}, "grade": {"field": "grade"}, "growth": {"field": "growth"},
        "certified": {"field": "certified"}, "opened": {"field": "opened"},
        "note": {"field": "note"}, "region": {"field": "region"}, "owner": {"field": "owner"},
        "code": {"field": "code"}}), forms=(CLINIC_FORM, lab_form))
    build(Facts(engine))
    result = evaluate(engine, "rs", as_of=AS_OF, dry_run=True)
    got = {m: by_code(result, m) for m in result.metrics}
    assert got["beds"] == {"C1": 120.0, "C2": None, "L1": None, "C3": None}
    assert got["grade"] == {"C1": "1", "C2": None, "L1": None, "C3": "1"}
    assert got["growth"] == {"C1": 2.5, "C2": None, "L1": None, "C3": None}
    assert got["certified"] == {"C1": False, "C2": None, "L1": None, "C3": None}
    assert got["opened"] == {"C1": D(2020, 2, 29), "C2": None, "L1": None, "C3": None}
    assert got["note"] == {"C1": "x", "C2": None, "L1": "lab note", "C3": "x;y"}
    assert got["region"] == {"C1": "north", "C2": None, "L1": None, "C3": None}
    assert got["owner"] == {"C1": "owner1", "C2": None, "L1": None, "C3": None}
    assert got["code"] == {"C1": "C1", "C2": "C2", "L1": "L1", "C3": "C3"}


def test_formulas(engine, tmp_path):
    def build(f):
        f.customer("C1", type="clinic", growth=1)
        f.order("C1", IN, 10)
        f.order("C1", D(2026, 1, 1), 20)
        f.customer("C2", type="clinic")               # no orders: revenue 0, count 0
    result = run(engine, tmp_path, {
        # Formulas may come before what they name.
        "per_third": {"formula": "third * 3"},
        "third": {"formula": "revenue / 9"},
        "revenue": {"aggregate": "sum", "of": "orders.amount"},
        "n": {"aggregate": "count", "of": "orders"},
        "aov": {"formula": "revenue / n"},
        "growth": {"field": "growth"},
        "boosted": {"formula": "aov * growth"},
        "safe": {"formula": "coalesce(aov, 0) + 1"},
        "last": {"aggregate": "max", "of": "orders.date"},
        "idle": {"formula": "days(last, as_of)"},
        "big": {"formula": "revenue > 25 and n >= 2"},
        "label": {"formula": "month(last)"},
        "lo": {"formula": "min(revenue, 15)"},
        "rounded": {"formula": "round(third, 2)"}}, build)
    got = {m: by_code(result, m) for m in result.metrics}
    assert got["third"] == {"C1": 3.333333333, "C2": 0.0}
    assert got["per_third"] == {"C1": 9.999999999, "C2": 0.0}   # sees the rounded value
    assert got["aov"] == {"C1": 15.0, "C2": None}               # division by zero is null
    assert got["boosted"] == {"C1": 15.0, "C2": None}           # null in arithmetic
    assert got["safe"] == {"C1": 16.0, "C2": 1.0}
    assert got["idle"] == {"C1": 75.0, "C2": None}
    assert got["big"] == {"C1": True, "C2": False}
    assert got["label"] == {"C1": "2026-01", "C2": None}
    assert got["lo"] == {"C1": 15.0, "C2": 0.0}
    assert got["rounded"] == {"C1": 3.33, "C2": 0.0}


@pytest.mark.parametrize("formula, expected", [
    ("0.1 + 0.2", 0.3),
    ("2 / 3", 0.666666667),
    ("-2 / 3", -0.666666667),
    ("0.0000000005", 0.000000001),      # half away from zero
    ("-0.0000000005", -0.000000001),
    ("1 / 0", None),
])
def test_formula_results_are_rounded_to_nine_decimals(engine, tmp_path, formula, expected):
    result = run(engine, tmp_path, {"r": {"aggregate": "count", "of": "orders"},
                                    "f": {"formula": f"{formula} + r"}},
                 lambda f: f.customer("C1", type="clinic"))
    assert by_code(result, "f") == {"C1": expected}


def test_no_customer_in_scope(engine, tmp_path):
    result = run(engine, tmp_path, {"revenue": {"aggregate": "sum", "of": "orders.amount"},
                                    "f": {"formula": "revenue * 2"}})
    assert len(result.population) == 0
    assert result.segment_counts() == {"high": 0, "low": 0}
