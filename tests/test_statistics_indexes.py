"""Planner statistics after large writes (``engine.statistics``) and the covering fact indexes
the evaluation's per-customer pass reads (migration 0004)."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import inspect, text

from engine.definitions.ruleset_specs import AggregateMetric
from engine.evaluation.aggregates import table_queries
from engine.evaluation.scope import scope_ids
from engine.models import Order, Product
from engine.statistics import refresh_statistics
from tests.workflow_support import add_customer

AS_OF = dt.date(2026, 3, 31)


def _orders(session, count: int = 50) -> None:
    session.add(Product(id=1, code="P1", name="P1", product_line="cv", is_new=True))
    customers = [add_customer(session, f"H{i}", type="hospital") for i in range(5)]
    session.add_all(Order(order_id=f"O{i}", customer_id=customers[i % 5].id,
                          date=AS_OF - dt.timedelta(days=i), product_id=1,
                          amount_cents=100 * i, cost_cents=40 * i) for i in range(count))
    session.commit()


def _analyzed(connection, backend: str, table: str, since=None) -> bool:
    """Whether ``table`` has statistics (PostgreSQL: analyzed after ``since``, the server's
    clock: the session's database is shared by the tests)."""
    if backend == "sqlite":
        found = connection.execute(text("SELECT name FROM sqlite_master "
                                        "WHERE name = 'sqlite_stat1'")).first()
        return found is not None and connection.execute(
            text("SELECT count(*) FROM sqlite_stat1 WHERE tbl = :t"), {"t": table}).scalar() > 0
    connection.execute(text("SELECT pg_stat_clear_snapshot()"))
    return connection.execute(text("SELECT coalesce(last_analyze > :since, false) "
                                   "FROM pg_stat_user_tables WHERE relname = :t"),
                              {"t": table, "since": since}).scalar()


def _clock(engine, backend: str):
    if backend == "sqlite":
        return None
    with engine.connect() as connection:
        return connection.execute(text("SELECT clock_timestamp()")).scalar()


def test_refresh_statistics_analyzes_the_imported_tables(engine, session, backend):
    _orders(session)
    since = _clock(engine, backend)
    with engine.connect() as connection:
        before = _analyzed(connection, backend, "orders", since)
    with engine.begin() as connection:
        refresh_statistics(connection)
    with engine.connect() as connection:
        assert not before
        assert all(_analyzed(connection, backend, table, since)
                   for table in ("orders", "customers"))


def test_refresh_statistics_of_only_the_tables_given(engine, session, backend):
    _orders(session)
    since = _clock(engine, backend)
    with engine.begin() as connection:
        refresh_statistics(connection, ["orders"])
    with engine.connect() as connection:
        assert _analyzed(connection, backend, "orders", since)
        assert not _analyzed(connection, backend, "payments", since)


def test_refresh_statistics_refuses_a_name_that_is_no_table(engine):
    with engine.begin() as connection, pytest.raises(ValueError) as caught:
        refresh_statistics(connection, ["orders", "orders; DROP TABLE users"])
    assert str(caught.value).startswith(
        "refresh_statistics: unknown table 'orders; DROP TABLE users'; known: ")


def test_fact_indexes_cover_every_column_an_aggregate_reads(engine):
    indexes = {table: {ix["name"]: ix["column_names"] for ix in inspect(engine).get_indexes(table)}
               for table in ("orders", "payments")}
    assert indexes["orders"]["ix_orders_customer_facts"] == [
        "customer_id", "date", "product_id", "amount_cents", "cost_cents", "quantity_milli"]
    assert indexes["payments"]["ix_payments_customer_facts"] == [
        "customer_id", "invoice_date", "paid_date", "amount_cents"]
    assert "ix_orders_customer_id_date" not in indexes["orders"]


def test_sqlite_reads_the_orders_aggregate_from_the_covering_index(engine, session, backend):
    if backend != "sqlite":
        pytest.skip("SQLite's EXPLAIN QUERY PLAN")
    _orders(session, 400)
    with engine.begin() as connection:
        refresh_statistics(connection)
    metrics = [AggregateMetric("revenue", "sum", "orders.amount", None, 12),
               AggregateMetric("profit", "sum", "orders.amount - orders.cost", None, 12),
               AggregateMetric("quantity", "max", "orders.quantity", None, 12, 12)]
    query = table_queries(metrics, AS_OF)[0].select(scope_ids(["hospital"]))
    with engine.connect() as connection:
        compiled = query.compile(connection, compile_kwargs={"literal_binds": True})
        plan = " | ".join(row[-1] for row in connection.exec_driver_sql(
            f"EXPLAIN QUERY PLAN {compiled}"))
    assert "USING COVERING INDEX ix_orders_customer_facts" in plan, plan
