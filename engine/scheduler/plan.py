"""Which jobs the scheduler runs: one per published ruleset with a schedule, plus maintenance."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import Callable

from apscheduler.triggers.base import BaseTrigger
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from engine.definitions.published import published_specs
from engine.errors import InvalidInput
from engine.models import DefinitionVersion
from engine.scheduler import jobs
from engine.scheduler.schedules import parse_schedule
from engine.scheduler.settings import SchedulerSettings
from engine.scheduler.ticks import Tick

log = logging.getLogger(__name__)
EVALUATE = "evaluate"
MAINTENANCE = "maintenance"

# (engine, tick, the tick's date in the configured zone) → the evaluation run made, if any.
Action = Callable[[Engine, Tick, date], "int | None"]


@dataclass(frozen=True)
class ScheduledJob:
    """A job as planned now: its schedule, since when it is in force, and what it does."""

    key: str
    schedule: str
    trigger: BaseTrigger
    since: datetime | None     # fire times before this belong to no version of this job
    action: Action
    version_id: int | None = None
    first_since: datetime | None = None   # where to start when no tick was ever recorded

    def runs_after(self, last_tick: datetime | None) -> datetime:
        """Fire times after this instant are due (the last recorded tick, or where the
        schedule starts)."""
        if last_tick is None:
            return self.first_since or self.since
        return max(last_tick, self.since) if self.since is not None else last_tick

    @property
    def identity(self) -> tuple:
        """Changes when the job must be rescheduled (another schedule or version)."""
        return (self.schedule, self.version_id)


def evaluation_jobs(session: Session, settings: SchedulerSettings) -> list[ScheduledJob]:
    """A job per published ruleset whose schedule (or the override) is set.

    The schedule counts from the creation of the published version: ticks before it are not
    reported as missed.
    """
    planned = []
    for spec in published_specs(session, "ruleset"):
        schedule = settings.schedule_override or spec.schedule
        if not schedule:
            continue
        try:
            trigger = parse_schedule(schedule, settings.timezone)
        except InvalidInput as exc:
            log.error("ruleset %s is not scheduled: %s", spec.id, exc)
            continue
        created = session.scalar(select(DefinitionVersion.created_at)
                                 .where(DefinitionVersion.id == spec.version_id))
        planned.append(ScheduledJob(f"{EVALUATE}:{spec.id}", schedule, trigger, created,
                                    partial(jobs.evaluate_ruleset, ruleset_id=spec.id),
                                    spec.version_id))
    return planned


def maintenance_job(settings: SchedulerSettings, started_at: datetime) -> ScheduledJob:
    """Daily maintenance; it catches up from its last tick, or starts with this process."""
    trigger = parse_schedule(settings.maintenance_schedule, settings.timezone)
    action = partial(jobs.run_maintenance, notify_settings=settings.notify)
    return ScheduledJob(MAINTENANCE, settings.maintenance_schedule, trigger, None, action,
                        first_since=started_at)


def plan_jobs(engine: Engine, settings: SchedulerSettings,
              started_at: datetime) -> dict[str, ScheduledJob]:
    """Every job to schedule now, by key."""
    with Session(engine) as session:
        planned = evaluation_jobs(session, settings)
    planned.append(maintenance_job(settings, started_at))
    return {job.key: job for job in planned}
