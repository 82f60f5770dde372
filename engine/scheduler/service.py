"""The scheduler process: APScheduler fires the jobs, the database decides who runs a tick.

APScheduler (a ``BackgroundScheduler`` in the configured zone) only wakes the process up at
each job's fire times; which tick is due, whether another process already has it, and which
ticks were missed is read from ``scheduler_ticks`` (see ``runner``), so any number of
processes can run side by side and a restarted one catches up.
"""
from __future__ import annotations

import logging
import signal
import threading
from datetime import datetime

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine

from engine.models import utcnow
from engine.scheduler import jobs, ticks
from engine.scheduler.plan import ScheduledJob, plan_jobs
from engine.scheduler.runner import TickRunner
from engine.scheduler.settings import SchedulerSettings
from engine.scheduler.ticks import Worker

log = logging.getLogger(__name__)
REFRESH, HEARTBEAT, DELIVER = "_refresh", "_heartbeat", "_deliver"


class SchedulerService:
    """One scheduler process: plans jobs, keeps them in step with what is published, runs."""

    def __init__(self, engine: Engine, settings: SchedulerSettings):
        self.engine, self.settings = engine, settings
        self.worker = Worker.current()
        self.runner = TickRunner(engine, settings, self.worker)
        self.started_at = utcnow()
        self.jobs: dict[str, ScheduledJob] = {}
        self._scheduler: BackgroundScheduler | None = None
        self._stop = threading.Event()

    def run_once(self) -> None:
        """Run every job's due and abandoned ticks and deliver notifications, then return."""
        log.info("scheduler %s: one pass", self.worker.name)
        self.jobs = plan_jobs(self.engine, self.settings, self.started_at)
        for job in self.jobs.values():
            self.runner.run_job(job)
        jobs.deliver_notifications(self.engine, self.settings.notify)

    def run_forever(self) -> None:
        """Run until SIGTERM or SIGINT; a tick being run is finished first."""
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: self._stop.set())
        self.start()
        try:
            while not self._stop.wait(1.0):
                pass
        finally:
            self.stop()

    def start(self) -> None:
        s = self.settings
        self._scheduler = BackgroundScheduler(
            timezone=s.timezone, executors={"default": ThreadPoolExecutor(8)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None})
        self._scheduler.add_job(self.refresh, "interval", seconds=s.refresh_seconds, id=REFRESH)
        self._scheduler.add_job(self.runner.heartbeat, "interval", seconds=s.heartbeat_seconds,
                                id=HEARTBEAT)
        if s.notify_interval_seconds > 0:
            self._scheduler.add_job(jobs.deliver_notifications, "interval",
                                    seconds=s.notify_interval_seconds, id=DELIVER,
                                    args=[self.engine, s.notify], next_run_time=utcnow())
        self.refresh()
        self._scheduler.start()
        log.info("scheduler %s started: %s", self.worker.name, ", ".join(
            f"{job.key} [{job.schedule}]" for job in self.jobs.values()))

    def stop(self) -> None:
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=True)
        log.info("scheduler %s stopped", self.worker.name)

    def refresh(self) -> None:
        """Follow what is published: add, reschedule and remove jobs; resume abandoned ticks."""
        planned = plan_jobs(self.engine, self.settings, self.started_at)
        now = utcnow()
        for key in self.jobs.keys() - planned.keys():
            self._scheduler.remove_job(key)
            log.info("%s: no longer scheduled", key)
        for key, job in planned.items():
            known = self.jobs.get(key)
            if known is None:
                # First sight: run at once, which catches up on ticks missed while down.
                self._scheduler.add_job(self._fire, job.trigger, args=[key], id=key,
                                        next_run_time=now)
                log.info("%s: scheduled [%s]", key, job.schedule)
            elif known.identity != job.identity:
                self._scheduler.modify_job(key, trigger=job.trigger, next_run_time=now)
                log.info("%s: rescheduled [%s]", key, job.schedule)
        self.jobs = planned
        self._wake_jobs_with_abandoned_ticks(now)

    def _wake_jobs_with_abandoned_ticks(self, now: datetime) -> None:
        keys = {row.job_key for row in ticks.abandoned(self.engine, self.worker,
                                                       self.settings.lease_seconds, now)}
        for key in sorted(keys & self.jobs.keys()):
            self._scheduler.modify_job(key, next_run_time=now)

    def _fire(self, key: str) -> None:
        job = self.jobs.get(key)
        if job is not None:
            self.runner.run_job(job)
