"""Jobs and ``kamflow worker`` (SPEC §5.3): each job claimed once, by real worker processes
side by side; a worker killed half-way is taken over and the job's effects happen once; a
silent worker loses its job after the lease and cannot overwrite the new owner's outcome."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time

import pytest
from sqlalchemy import delete, func, select

from engine.db import transaction
from engine.jobs import queue
from engine.jobs.worker import WorkerSettings, run_job
from engine.models import AuditEntry, EvaluationRun, Job, Task, utcnow
from engine.scheduler.ticks import Worker
from web_world import AS_OF, RULESET, _world_snapshot, world  # noqa: F401  (fixtures)

LEASE = 300.0


@pytest.fixture(autouse=True)
def empty_queue(world, engine):
    """The world's own jobs (one per user, for the page tests) are out of the way."""
    with transaction(engine) as session:
        session.execute(delete(Job))


def _enqueue(engine, kind: str, **params) -> int:
    with transaction(engine) as session:
        return queue.enqueue(session, kind, params, "admin").id


def _job(engine, job_id: int) -> Job:
    with transaction(engine) as session:
        return session.get(Job, job_id)


def _worker(*args: str, env: dict | None = None, **popen) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "web.cli", "worker", *args],
                            env={**os.environ, **(env or {})}, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, **popen)


def _wait_until(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def _runs(engine) -> list[EvaluationRun]:
    with transaction(engine) as session:
        return list(session.scalars(select(EvaluationRun).order_by(EvaluationRun.id)))


def test_a_worker_runs_an_evaluation_job_and_stores_its_result(world, engine):
    job_id = _enqueue(engine, "evaluate", ruleset=RULESET,
                      as_of=(AS_OF + dt.timedelta(days=90)).isoformat())
    worker = _worker("--once")
    output, _ = worker.communicate(timeout=120)
    assert worker.returncode == 0, output
    job = _job(engine, job_id)
    assert (job.status, job.progress, job.attempts, job.error) == ("done", 100, 1, None)
    run = _runs(engine)[-1]
    assert job.result["run_id"] == run.id and run.tick_key == f"job:{job_id}"
    assert run.trigger == "web" and run.status == "completed"
    assert job.result["counts"]["customers"] == 2


def test_two_workers_side_by_side_run_each_job_once(world, engine):
    days = [AS_OF + dt.timedelta(days=30 * n) for n in range(1, 7)]
    jobs = [_enqueue(engine, "evaluate", ruleset=RULESET, as_of=day.isoformat())
            for day in days]
    workers = [_worker(env={"KAMFLOW_JOB_POLL_SECONDS": "0.2"}) for _ in range(2)]
    try:
        _wait_until(lambda: all(_job(engine, j).status in ("done", "failed") for j in jobs),
                    timeout=180)
    finally:
        for worker in workers:
            worker.terminate()
        outputs = [worker.communicate(timeout=60)[0] for worker in workers]
    found = [_job(engine, j) for j in jobs]
    assert [j.status for j in found] == ["done"] * 6, outputs
    assert [j.attempts for j in found] == [1] * 6
    runs = [r for r in _runs(engine) if r.tick_key]
    assert sorted(r.tick_key for r in runs) == sorted(f"job:{j}" for j in jobs)
    assert sorted(r.as_of for r in runs) == days
    assert len({j.claimed_by for j in found}) == 2, "both workers should have had work"
    assert all(worker.returncode == 0 for worker in workers), outputs


def test_a_killed_worker_is_taken_over_and_the_run_is_made_once(world, engine):
    job_id = _enqueue(engine, "evaluate", ruleset=RULESET,
                      as_of=(AS_OF + dt.timedelta(days=90)).isoformat())
    doomed = _worker("--once", env={"KAMFLOW_FAILPOINT": "run.scores_stored"})
    doomed.communicate(timeout=120)
    assert doomed.returncode == -9                       # killed between scores and commit
    job = _job(engine, job_id)
    assert job.status == "running" and job.attempts == 1
    before = len(_runs(engine))

    rescuer = _worker("--once")
    output, _ = rescuer.communicate(timeout=120)
    assert rescuer.returncode == 0, output
    job = _job(engine, job_id)
    assert (job.status, job.attempts) == ("done", 2)
    runs = _runs(engine)
    assert len(runs) == before + 1 and runs[-1].tick_key == f"job:{job_id}"
    with transaction(engine) as session:
        taken = session.scalar(select(func.count()).select_from(AuditEntry)
                               .where(AuditEntry.action == "job.take_over"))
        tasks = session.scalar(select(func.count()).select_from(Task)
                               .where(Task.run_id == runs[-1].id))
    assert taken == 1
    # Running the finished job's key again finds the run instead of making another.
    again = queue.Claim(job_id, "evaluate", job.params, 3)
    from engine.jobs.handlers import HANDLERS
    result = HANDLERS["evaluate"](engine, again.params, again.key, lambda *_: None)
    assert result["run_id"] == runs[-1].id and result["resumed"]
    assert len(_runs(engine)) == before + 1
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(Task)
                              .where(Task.run_id == runs[-1].id)) == tasks


def test_a_silent_worker_loses_its_job_after_the_lease(world, engine):
    job_id = _enqueue(engine, "dry_run", ruleset=RULESET)
    first, second = Worker("elsewhere", 1, "aaaa"), Worker("elsewhere", 2, "bbbb")
    start = utcnow()
    claim = queue.claim(engine, first, LEASE, now=start)
    assert claim.id == job_id and claim.attempt == 1
    assert queue.claim(engine, second, LEASE, now=start + dt.timedelta(seconds=LEASE - 1)) is None
    later = start + dt.timedelta(seconds=LEASE + 1)
    taken = queue.claim(engine, second, LEASE, now=later)
    assert (taken.id, taken.attempt, taken.taken_over_from) == (job_id, 2, first.name)
    # The first worker wakes up: its heartbeat and its outcome are refused.
    assert not queue.heartbeat(engine, claim, first, 50, "late")
    assert not queue.finish(engine, claim, first, {"from": "first"})
    assert run_job(engine, taken, second, WorkerSettings()) == "done"
    job = _job(engine, job_id)
    assert job.status == "done" and job.claimed_by == second.name
    assert job.result["counts"]["customers"] == 2 and "from" not in job.result


def test_a_job_whose_workers_keep_dying_fails_instead_of_looping(world, engine):
    job_id = _enqueue(engine, "dry_run", ruleset=RULESET)
    now = utcnow()
    for attempt in range(queue.MAX_ATTEMPTS):
        now += dt.timedelta(seconds=LEASE + 1)
        assert queue.claim(engine, Worker("h", attempt, "x"), LEASE, now=now).attempt == attempt + 1
    now += dt.timedelta(seconds=LEASE + 1)
    assert queue.claim(engine, Worker("h", 99, "x"), LEASE, now=now) is None
    job = _job(engine, job_id)
    assert job.status == "failed" and "stopped 3 times" in job.error


@pytest.mark.parametrize("kind, params, message", [
    ("evaluate", {"ruleset": "no_such_ruleset"}, "no_such_ruleset"),
    ("evaluate", {"ruleset": RULESET, "as_of": "2026-02-30"}, "is not a date"),
    ("teleport", {}, "unknown kind of job 'teleport'; this worker runs dry_run, evaluate, import"),
])
def test_a_failing_job_stores_its_error_and_changes_nothing(world, engine, kind, params,
                                                            message):
    runs = len(_runs(engine))
    job_id = _enqueue(engine, kind, **params)
    worker = Worker("here", os.getpid(), "t")
    claim = queue.claim(engine, worker, LEASE)
    assert run_job(engine, claim, worker, WorkerSettings()) == "failed"
    job = _job(engine, job_id)
    assert job.status == "failed" and message in job.error and job.result is None
    assert len(_runs(engine)) == runs


def test_bad_worker_settings_are_refused_in_one_line(world, engine):
    result = subprocess.run([sys.executable, "-m", "web.cli", "worker", "--once"],
                            env={**os.environ, "KAMFLOW_JOB_LEASE_SECONDS": "0"},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "KAMFLOW_JOB_LEASE_SECONDS" in result.stderr and "must be positive" in result.stderr
    assert "Traceback" not in result.stderr
