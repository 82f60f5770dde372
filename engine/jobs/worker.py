"""``kamflow worker``: claim jobs one at a time, run them, store their outcome.

Settings (``KAMFLOW_<NAME>`` or ``NAME`` in instance/config.py):

======================  =======  ==============================================================
JOB_POLL_SECONDS        1        look for a new job this often when the queue is empty
JOB_LEASE_SECONDS       300      a running job whose worker has not been heard of for this long
                                 is taken over (a worker on this host that is gone: at once)
======================  =======  ==============================================================

The lease is long because on SQLite a heartbeat waits while an evaluation holds the write lock
(a first classification of 100,000 customers holds it for about a minute).
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from engine.errors import InvalidInput, KamflowError, Problem
from engine.jobs import queue
from engine.jobs.handlers import HANDLERS
from engine.notify import setting
from engine.scheduler.ticks import Worker

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerSettings:
    poll_seconds: float = 1.0
    lease_seconds: float = 300.0

    @property
    def heartbeat_seconds(self) -> float:
        return max(0.5, self.lease_seconds / 5)

    @classmethod
    def load(cls, settings=None) -> WorkerSettings:
        from engine.config import load_settings

        s = settings or load_settings()
        found = cls(setting(s, "JOB_POLL_SECONDS", 1.0, float),
                    setting(s, "JOB_LEASE_SECONDS", 300.0, float))
        problems = [Problem(file=f"KAMFLOW_{name}", message="must be positive")
                    for name, value in (("JOB_POLL_SECONDS", found.poll_seconds),
                                        ("JOB_LEASE_SECONDS", found.lease_seconds))
                    if value <= 0]
        if problems:
            raise InvalidInput(problems, subject="settings")
        return found


class _Beat:
    """The heartbeat of one job: a thread that renews the claim and writes the latest
    progress the handler reported, until the job ends."""

    def __init__(self, engine: Engine, claim: queue.Claim, worker: Worker, every: float):
        self.engine, self.claim, self.worker, self.every = engine, claim, worker, every
        self.progress: tuple[int, str] | None = None
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"job-{claim.id}-heartbeat",
                                        daemon=True)

    def report(self, percent: int, note: str) -> None:
        self.progress = (percent, note)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.beat()

    def beat(self) -> None:
        percent, note = self.progress or (None, None)
        try:
            if not queue.heartbeat(self.engine, self.claim, self.worker, percent, note):
                self.lost = True
        except OperationalError as exc:       # SQLite busy while the job itself writes
            log.info("job %s: heartbeat skipped (%s)", self.claim.id, exc.orig)

    def __enter__(self) -> _Beat:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def run_job(engine: Engine, claim: queue.Claim, worker: Worker,
            settings: WorkerSettings) -> str:
    """Run one claimed job to its end; the status it ended with."""
    handler = HANDLERS.get(claim.kind)
    result: dict[str, Any] | None = None
    error = None
    with _Beat(engine, claim, worker, settings.heartbeat_seconds) as beat:
        try:
            if handler is None:
                raise KamflowError(f"unknown kind of job {claim.kind!r}; this worker runs "
                                   f"{', '.join(sorted(HANDLERS))}")
            result = handler(engine, claim.params, claim.key, beat.report)
        except KamflowError as exc:
            error = str(exc)
        except Exception as exc:  # noqa: BLE001  (the job's error, kept for its page)
            log.exception("job %s (%s) failed", claim.id, claim.kind)
            error = f"{type(exc).__name__}: {exc}"
    if not queue.finish(engine, claim, worker, result, error):
        log.warning("job %s was taken over by another worker; its outcome here is dropped",
                    claim.id)
        return "lost"
    return queue.FAILED if error else queue.DONE


def next_claim(engine: Engine, worker: Worker, settings: WorkerSettings) -> queue.Claim | None:
    return (queue.claim_abandoned(engine, worker)
            or queue.claim(engine, worker, settings.lease_seconds))


def work(engine: Engine, stop: threading.Event, settings: WorkerSettings | None = None,
         once: bool = False) -> int:
    """Run jobs until ``stop`` is set (``once``: until the queue is empty); jobs done."""
    settings = settings or WorkerSettings.load()
    worker = Worker.current()
    log.info("worker %s: waiting for jobs", worker.name)
    done = 0
    while not stop.is_set():
        try:
            claim = next_claim(engine, worker, settings)
        except OperationalError as exc:        # the database is busy or away: try again
            log.warning("worker %s: cannot claim (%s)", worker.name, exc.orig)
            claim = None
        if claim is None:
            if once:
                break
            stop.wait(settings.poll_seconds)
            continue
        if claim.taken_over_from:
            log.warning("job %s: taken over from %s", claim.id, claim.taken_over_from)
        log.info("job %s (%s): started, attempt %d", claim.id, claim.kind, claim.attempt)
        status = run_job(engine, claim, worker, settings)
        log.info("job %s (%s): %s", claim.id, claim.kind, status)
        done += 1
    return done
