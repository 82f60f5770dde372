"""A merge never changes a stored run: the dropped customer's past scores still export and
explain under its own code, with the merge noted; later runs and imports see only the kept one."""
from __future__ import annotations

import datetime as dt

import pytest
from alembic import command
from sqlalchemy import insert, select, text, update
from sqlalchemy.exc import IntegrityError

from engine.customers.merge import merge_customers
from engine.db import make_engine
from engine.evaluation import evaluate
from engine.migrate import alembic_config, schema_diffs, upgrade
from engine.models import Customer, CustomerScore, Order
from tests.eval_support import D, Facts, install, ruleset

AS_OF = D(2026, 3, 31)
# 20:00 UTC is the next day in Asia/Shanghai, the default time zone.
MERGED_AT = dt.datetime(2026, 4, 1, 20, 0, tzinfo=dt.UTC)
NOTE = "D1 was merged into K1 on 2026-04-02"


@pytest.fixture
def old_run(engine, tmp_path):
    """Run 1 scored K1, D1 (one clinic twice) and C9; then D1 was merged into K1."""
    metrics = {"revenue": {"aggregate": "sum", "of": "orders.amount"}}
    axes = {"main": {"label": "Main", "items": [
        {"metric": "revenue", "weight": 1, "score": "percentile"}]}}
    install(engine, tmp_path, ruleset(metrics=metrics, axes=axes))
    facts = Facts(engine)
    for code in ("K1", "D1", "C9"):
        facts.customer(code, type="clinic")
    facts.order("K1", D(2026, 1, 5), "10.00")
    facts.order("D1", D(2026, 2, 5), "30.00")
    facts.order("C9", D(2026, 2, 5), "20.00")
    return evaluate(engine, "rs", as_of=AS_OF).run_id


def merge(engine):
    merge_customers(engine, "K1", "D1", actor="admin")
    with engine.begin() as connection:
        connection.execute(update(Customer).where(Customer.code == "D1")
                           .values(merged_at=MERGED_AT))


def test_an_old_run_exports_the_same_after_a_merge(engine, old_run, run):
    before = run("scores", "export", "--run", old_run)
    assert before.exit_code == 0, before.output
    merge(engine)
    after = run("scores", "export", "--run", old_run)
    assert after.exit_code == 0, after.output
    assert after.output == before.output
    assert [line.split(",")[:2] for line in after.output.splitlines()[1:]] == [
        ["C9", "high"], ["D1", "high"], ["K1", "low"]]


def test_an_old_run_explains_a_merged_customer_and_notes_the_merge(engine, old_run, run):
    before = run("scores", "explain", "D1", "--run", old_run)
    merge(engine)
    after = run("scores", "explain", "D1", "--run", old_run)
    assert after.exit_code == 0, after.output
    lines = after.output.splitlines()
    assert lines[1] == f"  note: {NOTE}, after this run"
    assert [lines[0], *lines[2:]] == before.output.splitlines()
    as_json = run("scores", "explain", "D1", "--run", old_run, "--json")
    assert f'"merged": "{NOTE}"' in as_json.output


def test_a_later_run_scores_the_kept_customer_with_the_merged_facts(engine, old_run, run):
    merge(engine)
    later = evaluate(engine, "rs", as_of=AS_OF).run_id
    with engine.connect() as connection:
        scored = connection.execute(
            select(Customer.code).join(CustomerScore).where(CustomerScore.run_id == later)
            .order_by(Customer.code)).scalars().all()
    assert scored == ["C9", "K1"]
    exported = run("scores", "export", "--run", later).output.splitlines()
    assert [line.split(",")[0] for line in exported[1:]] == ["C9", "K1"]
    assert exported[2].endswith(",40,10")   # K1: 10 + D1's 30 yuan, the top revenue
    missing = run("scores", "explain", "D1", "--run", later)
    assert (missing.exit_code, missing.output) == (
        1, f"error: no customer in run {later} of rs 'D1': {NOTE}\n")


def test_a_merged_customer_cannot_be_made_live_again(engine, old_run):
    merge(engine)
    with pytest.raises(IntegrityError, match="ck_customers_merged"):
        with engine.begin() as connection:
            connection.execute(update(Customer).where(Customer.code == "D1")
                               .values(status="active"))


def test_stored_scores_are_untouched_by_a_merge(engine, old_run):
    def scores():
        with engine.connect() as connection:
            return connection.execute(select(CustomerScore.__table__)
                                      .order_by(CustomerScore.id)).all()

    before = scores()
    merge(engine)
    assert scores() == before


def test_an_order_naming_a_merged_code_goes_to_the_kept_customer(engine, old_run, run, tmp_path):
    merge(engine)
    orders = tmp_path / "orders.csv"
    orders.write_text("order_id,customer,date,product_code,quantity,amount,cost\n"
                      "O9,D1,2026-03-01,P1,,5.00,\n", encoding="utf-8")
    result = run("import", "orders", orders)
    assert result.exit_code == 0, result.output
    with engine.connect() as connection:
        owner = connection.scalar(select(Customer.code).join(Order).where(Order.order_id == "O9"))
    assert owner == "K1"


def test_a_customers_import_naming_a_merged_code_is_refused(engine, old_run, run, tmp_path):
    merge(engine)
    customers = tmp_path / "customers.csv"
    customers.write_text("code,name,type,parent,status\nD1,D1,clinic,,active\n"
                         "N1,N1,clinic,D1,active\n", encoding="utf-8")
    result = run("import", "customers", customers)
    assert result.exit_code == 1
    assert result.output.splitlines()[1:] == [
        "  customers.csv:row 2: code: expected a customer that was not merged (D1 was merged into K1: "
        "use K1), got 'D1'",
        "  customers.csv:row 3: parent: expected a customer that was not merged (D1 was merged into "
        "K1: use K1), got 'D1'"]
    with engine.connect() as connection:
        assert connection.execute(select(Customer.code, Customer.status)
                                  .order_by(Customer.code)).all() == [
            ("C9", "active"), ("D1", "merged"), ("K1", "active")]


def test_migration_0003_down_drops_merged_customers(empty_database_url):
    """Before 0003 a merge deleted the dropped customer; going back does that."""
    engine = make_engine(empty_database_url)
    try:
        upgrade(engine)
        merged_at = dt.datetime(2026, 4, 1, tzinfo=dt.UTC)
        with engine.begin() as connection:
            kept = connection.execute(insert(Customer).returning(Customer.id), [
                {"code": "K1", "name": "K1", "normalized_name": "k1", "type": "clinic"}
            ]).scalar_one()
            connection.execute(insert(Customer), [
                {"code": "D1", "name": "D1", "normalized_name": "d1", "type": "clinic",
                 "status": "merged", "merged_into_id": kept, "merged_at": merged_at}])
        command.downgrade(alembic_config(empty_database_url), "0002")
        with engine.connect() as connection:
            assert connection.execute(text("SELECT code FROM customers")).scalars().all() == [
                "K1"]
        upgrade(engine)
        assert schema_diffs(engine) == []
    finally:
        engine.dispose()


def test_an_override_of_a_merged_code_is_refused_with_the_kept_customer(engine, old_run, run):
    merge(engine)
    result = run("override", "set", "D1", "a", "--ruleset", "rs", "--until", "2026-12-31",
                 "--reason", "key account")
    assert result.exit_code == 1
    assert result.output.strip() == "error: no customer 'D1': it was merged into 'K1'"
