"""Running a job's ticks exactly once: take over abandoned ticks, claim the due one, run it."""
from __future__ import annotations

import logging
import threading
from collections import defaultdict
from datetime import datetime
from typing import Callable

from sqlalchemy import Engine

from engine.db import transaction
from engine.models import utcnow
from engine.scheduler import ticks
from engine.scheduler.plan import ScheduledJob
from engine.scheduler.schedules import due_ticks
from engine.scheduler.settings import SchedulerSettings
from engine.scheduler.ticks import Tick, Worker

log = logging.getLogger(__name__)


class TickRunner:
    """Runs ticks for one scheduler process; one tick of a job at a time in this process."""

    def __init__(self, engine: Engine, settings: SchedulerSettings, worker: Worker,
                 clock: Callable[[], datetime] = utcnow):
        self.engine, self.settings, self.worker, self.clock = engine, settings, worker, clock
        self._job_locks: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)
        self._active: set[int] = set()
        self._active_lock = threading.Lock()

    @property
    def active_ticks(self) -> list[int]:
        with self._active_lock:
            return sorted(self._active)

    def run_job(self, job: ScheduledJob) -> list[str]:
        """Finish ``job``'s abandoned ticks, then run its latest due tick if nobody has; again
        while a run took so long that the next tick fell due (it is late, not missed)."""
        with self._job_locks[job.key]:
            outcomes = [self._execute(job, tick) for tick in self._take_over(job)]
            while (tick := self._claim_due(job)) is not None:
                outcomes.append(self._execute(job, tick))
            return outcomes

    def _take_over(self, job: ScheduledJob) -> list[Tick]:
        taken = []
        for row in ticks.abandoned(self.engine, self.worker, self.settings.lease_seconds,
                                   self.clock(), job.key):
            tick = ticks.take_over(self.engine, row, self.worker, self.clock())
            if tick is not None:
                log.warning("%s: resuming tick %s abandoned by %s", job.key,
                            tick.tick_at.isoformat(), row.claimed_by)
                taken.append(tick)
        return taken

    def _claim_due(self, job: ScheduledJob) -> Tick | None:
        now = self.clock()
        with transaction(self.engine) as session:
            after = job.runs_after(ticks.last_tick_at(session, job.key))
            due = due_ticks(job.trigger, after, now)
            if due is None:
                return None
            tick = ticks.claim(session, job.key, due, self.worker, now)
        if tick is None:
            log.info("%s: tick %s is another scheduler's", job.key, due.latest.isoformat())
        elif due.missed:
            log.warning("%s: %s missed ticks since %s coalesced into %s", job.key,
                        due.missed_count_text, due.missed[0].isoformat(), tick.tick_at.isoformat())
        return tick

    def _execute(self, job: ScheduledJob, tick: Tick) -> str:
        with self._active_lock:
            self._active.add(tick.id)
        local_date = tick.tick_at.astimezone(self.settings.timezone).date()
        log.info("%s: running tick %s (%s)", job.key, tick.tick_at.isoformat(), local_date)
        try:
            run_id = job.action(self.engine, tick, local_date)
        except Exception as exc:  # noqa: BLE001
            # A job's failure is stored on its tick and audited, with the traceback in the log;
            # the other jobs keep running.
            log.exception("%s: tick %s failed", job.key, tick.tick_at.isoformat())
            status, run_id, details = "failed", None, {"error": f"{type(exc).__name__}: {exc}"}
        else:
            status, details = "done", {"date": local_date.isoformat()}
        finally:
            with self._active_lock:
                self._active.discard(tick.id)
        if not ticks.finish(self.engine, tick, self.worker, status, run_id, details, self.clock()):
            log.error("%s: tick %s was taken over before it finished", job.key,
                      tick.tick_at.isoformat())
            return "lost"
        log.info("%s: tick %s %s%s", job.key, tick.tick_at.isoformat(), status,
                 f" (run {run_id})" if run_id else "")
        return status

    def heartbeat(self) -> None:
        ticks.heartbeat(self.engine, self.active_ticks, self.worker, self.clock())
