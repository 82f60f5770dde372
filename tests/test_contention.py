"""Commands that meet each other on one database: they wait, or say in one line what
happened and what to do, never a traceback, never half-applied (SPEC §7)."""
from __future__ import annotations

import csv
import datetime as dt
import sqlite3
import threading

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from engine.cli.trouble import database_trouble
from engine.db import make_engine, transaction
from tests.concurrency_support import finish, found_company, run, start, stored_counts, url_of
from tests.scheduler_support import wait_for

CUSTOMERS = 200
ORDER_LINES = 250_000       # an import that holds SQLite's write lock for several seconds


def write_orders(path, lines: int) -> None:
    first = dt.date(2025, 1, 1)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["order_id", "customer", "date", "product_code", "quantity", "amount",
                         "cost"])
        for i in range(lines):
            writer.writerow([f"L{i}", f"H{i % CUSTOMERS:05d}",
                             (first + dt.timedelta(days=i % 360)).isoformat(), "P1", "1",
                             f"{100 + i % 900}.50", "50"])


def sqlite_write_lock_held(engine) -> bool:
    """Whether some process holds the SQLite file's write lock right now."""
    probe = sqlite3.connect(make_url(engine.url).database, timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        probe.close()


@pytest.fixture
def company(engine, tmp_path):
    found_company(engine, CUSTOMERS)
    orders = tmp_path / "orders.csv"
    write_orders(orders, ORDER_LINES)
    return engine, orders


def test_an_evaluation_during_a_long_import(company, backend):
    engine, orders = company
    before = stored_counts(engine)
    importing = start(engine, "import", "orders", str(orders))
    if backend == "sqlite":
        wait_for(lambda: sqlite_write_lock_held(engine), timeout=60, interval=0.02,
                 what="the import to take the write lock")
        blocked = run(engine, "evaluate", KAMFLOW_BUSY_TIMEOUT_SECONDS="1")
        assert blocked.returncode == 1
        assert blocked.stderr.splitlines() == [
            "error: the database is busy: another kamflow command (an import, an evaluation) "
            "held its write lock for more than 1 s; nothing was changed. Run the command "
            "again when it has finished (KAMFLOW_BUSY_TIMEOUT_SECONDS waits longer)"]
        assert stored_counts(engine) == before
    else:
        # PostgreSQL readers do not wait for writers: the evaluation reads what was committed.
        assert run(engine, "evaluate").returncode == 0
    imported = finish(importing)
    assert imported.returncode == 0, imported.stderr
    assert f"{ORDER_LINES:,} rows read, {ORDER_LINES:,} added" in imported.stdout
    assert run(engine, "evaluate").returncode == 0


def test_a_deadlock_or_a_held_lock_is_told_in_one_line(engine, backend):
    """Two transactions take two rows in opposite order (PostgreSQL: a real deadlock, which
    the server breaks by failing one); on SQLite a second writer finds the lock taken."""
    found_company(engine, 2)
    failures: list[OperationalError] = []
    if backend == "sqlite":
        hurried = make_engine(url_of(engine), busy_timeout=0)
        try:
            with engine.connect() as holder, holder.begin():
                holder.execute(text("UPDATE customers SET name = name || '!' "
                                    "WHERE code = 'H00000'"))
                with pytest.raises(OperationalError) as caught, transaction(hurried) as other:
                    other.execute(text("UPDATE customers SET name = 'x'"))
        finally:
            hurried.dispose()
        failures.append(caught.value)
    else:
        failures = deadlock(engine)
    [failure] = failures
    message = database_trouble(failure)
    if backend == "sqlite":
        assert message.startswith("the database is busy: another kamflow command")
    else:
        assert message == ("the command ran into a deadlock with another kamflow command; "
                           "nothing was changed. Run it again")


def deadlock(engine) -> list[OperationalError]:
    """Two threads update H00000 and H00001 in opposite orders; one is failed by the server."""
    barrier, failures = threading.Barrier(2), []

    def worker(first: str, second: str) -> None:
        update = text("UPDATE customers SET name = name || '!' WHERE code = :code")
        try:
            with engine.begin() as connection:
                connection.execute(update, {"code": first})
                barrier.wait(10)
                connection.execute(update, {"code": second})
        except OperationalError as exc:
            failures.append(exc)

    threads = [threading.Thread(target=worker, args=pair)
               for pair in (("H00000", "H00001"), ("H00001", "H00000"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return failures
