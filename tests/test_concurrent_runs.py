"""Concurrent evaluations of one ruleset, as real ``kamflow`` processes, leave exactly what
running them one after another leaves (SPEC §3.4: task creation is idempotent; §4: two
schedulers never run a tick twice). Each race runs against the test's database, the same
commands one after another against its twin; SQLite and PostgreSQL (see conftest)."""
from __future__ import annotations

import datetime as dt

import pytest

from tests.concurrency_support import finish, picture, run, start, twin_companies
from tests.scheduler_support import SchedulerProcess, wait_for

CUSTOMERS = 2000
RULESET = "value_potential"
QUARTER = dt.date(2026, 1, 1)
EARLIER = dt.date(2025, 7, 1)


@pytest.fixture
def twins(engine, backend, database_url, tmp_path):
    with twin_companies(engine, backend, database_url, tmp_path, CUSTOMERS) as pair:
        yield pair


def evaluate_args(as_of: dt.date | None) -> list[str]:
    return ["evaluate", RULESET] + ([] if as_of is None else ["--as-of", as_of.isoformat()])


def race(engine, *commands: list[str]) -> None:
    """Start every command at once and wait for all; each must succeed."""
    processes = [start(engine, *command) for command in commands]
    for result in map(finish, processes):
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr


def one_after_another(engine, *commands: list[str]) -> None:
    for command in commands:
        result = run(engine, *command)
        assert result.returncode == 0, result.stderr


def test_three_concurrent_first_classifications(twins):
    raced, sequential = twins
    commands = [evaluate_args(QUARTER)] * 3
    race(raced, *commands)
    one_after_another(sequential, *commands)
    got, expected = picture(raced), picture(sequential)
    assert sum(expected["tasks"].values()) > CUSTOMERS
    assert expected["runs"] == {("completed", QUARTER): 3}
    assert got == expected


def test_three_concurrent_evaluations_of_a_later_quarter(twins):
    """Customers move between the earlier run and the quarter: their transitions (task
    cancellations, on_transition tasks, notices) happen once."""
    raced, sequential = twins
    for company in twins:
        one_after_another(company, evaluate_args(EARLIER))
    moved_before = sum(picture(sequential)["states"].values())
    commands = [evaluate_args(QUARTER)] * 3
    race(raced, *commands)
    one_after_another(sequential, *commands)
    got, expected = picture(raced), picture(sequential)
    cancelled = sum(n for key, n in expected["tasks"].items() if key[6] == "cancelled")
    assert moved_before > 0 and cancelled > 0
    assert got == expected


def test_two_schedulers_and_a_manual_run(twins, tmp_path):
    """Every scheduler tick and the manual run evaluate the same data as of today: the first
    to hold the ruleset's lock classifies everyone, the others find nobody moved."""
    raced, sequential = twins
    env = {"KAMFLOW_DATABASE_URL": raced.url.render_as_string(hide_password=False),
           "KAMFLOW_SCHEDULE_OVERRIDE": "*/2 * * * * *",
           "KAMFLOW_SCHEDULER_REFRESH_SECONDS": "1", "KAMFLOW_NOTIFY_INTERVAL_SECONDS": "600"}
    with SchedulerProcess(tmp_path / "a.log", env) as a, \
            SchedulerProcess(tmp_path / "b.log", env) as b:
        race(raced, evaluate_args(None))
        wait_for(lambda: picture(raced)["runs"][("completed", _today())] >= 3, timeout=90,
                 what="two ticks beside the manual run")
        assert (a.stop(), b.stop()) == (0, 0), a.log + b.log
    one_after_another(sequential, evaluate_args(None))
    got, expected = picture(raced), picture(sequential)
    assert got["runs"].keys() == {("completed", _today())}
    for part in ("tasks", "states", "notifications"):
        assert got[part] == expected[part], part


def _today() -> dt.date:
    from engine.evaluation import today

    return today()
