"""Two ``kamflow import`` processes touching the same rows in opposite orders queue on the import
lock (``engine.locks``) instead of deadlocking."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import select, text

from engine.models import Customer
from tests.test_import_support import load_good, write_csv
from tests.test_import_support import initialized  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parent.parent
CUSTOMERS = 20_001  # more than one batch (BATCH_ROWS), so each import merges in two steps
HEADER = ["code", "name", "type", "grade"]


def customers_file(path, label: str, reverse: bool):
    codes = [f"HX{i:05d}" for i in range(CUSTOMERS)]
    rows = [[code, f"{label}医院{code}", "hospital", "3A"] for code in codes]
    return write_csv(path, [HEADER] + (rows[::-1] if reverse else rows))


def start_import(path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "web.cli", "import", "customers", str(path)],
                            cwd=ROOT, env=dict(os.environ),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def waiting_backends(engine) -> int:
    """Sessions of this database waiting for a lock (a table's or an advisory one). (A new
    transaction each time: pg_stat_activity is a snapshot for the transaction's length.)"""
    with engine.connect() as connection:
        return connection.scalar(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'"))


def test_imports_in_opposite_orders_queue_instead_of_deadlocking(initialized, backend,
                                                                 tmp_path):
    load_good(initialized, "users")
    ascending = customers_file(tmp_path / "a.csv", "甲", reverse=False)
    descending = customers_file(tmp_path / "b.csv", "乙", reverse=True)
    # Every row exists first with other names, so that both imports update (and lock) rows.
    initial = customers_file(tmp_path / "initial.csv", "丙", reverse=False)
    assert start_import(initial).communicate(timeout=180)[1] == ""
    with initialized.connect() as blocker:
        if backend == "postgresql":
            # Hold both imports at their first write, so that their merges overlap for sure.
            blocker.begin()
            blocker.execute(text("LOCK TABLE customers IN SHARE MODE"))
        first, second = start_import(descending), start_import(ascending)
        if backend == "postgresql":
            deadline = time.monotonic() + 60
            while waiting_backends(initialized) < 2 and time.monotonic() < deadline:
                time.sleep(0.1)
            assert waiting_backends(initialized) == 2
            blocker.rollback()
        results = [process.communicate(timeout=180) for process in (first, second)]
    assert [p.returncode for p in (first, second)] == [0, 0], results
    assert all(out.endswith("20,001 rows read, 0 added, 20,001 changed, 0 unchanged\n") and
               err == "" for out, err in results), results
    with initialized.connect() as connection:
        names = connection.scalars(select(Customer.name).where(Customer.code.like("HX%"))).all()
    # One import's names on every row: the second import wrote all of its rows after the first.
    assert len(names) == CUSTOMERS and len({name[0] for name in names}) == 1
