"""Cron schedules as APScheduler triggers, and which of their fire times are due.

A schedule is a standard five-field cron expression (minute hour day month weekday), read as
cron reads it: weekday 0 and 7 are Sunday, and when both day and weekday are restricted a time
matching either fires (APScheduler 3 numbers Monday 0 and ANDs the two, so both are translated
here). Six fields put a seconds field first (``*/3 * * * * *``): for tests and demos only.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger

from engine.errors import InvalidInput, Problem

WEEKDAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
# APScheduler's order (Monday first): how a list of weekday names is written for it.
APSCHEDULER_WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MISSED_LISTED = 1000
# Spans tried, shortest first, when looking back for the latest fire time before now.
LOOKBACK = tuple(timedelta(seconds=s) for s in (60, 3600, 86400, 32 * 86400, 400 * 86400,
                                                 5 * 366 * 86400))
TICK = timedelta(microseconds=1)


class ScheduleError(InvalidInput):
    def __init__(self, expression: str, message: str, where: str | None = None):
        super().__init__([Problem(file=where, message=f"schedule {expression!r}: {message}")],
                         subject="schedule")


def _weekday(token: str, expression: str) -> int:
    token = token.lower()
    if token.isdigit() and int(token) <= 7:
        return int(token) % 7
    if token[:3] in WEEKDAY_NAMES and len(token) == 3:
        return WEEKDAY_NAMES.index(token)
    raise ScheduleError(expression, f"{token!r} is not a weekday (0-7 or sun-sat)")


def cron_weekdays(field: str, expression: str) -> str:
    """A cron weekday field (``1-5``, ``0,6``, ``*/2``, ``mon-fri``) in APScheduler 3's terms."""
    if field == "*":
        return field
    days: set[int] = set()
    for part in field.split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text.isdigit() and int(step_text) > 0 else None
        if step_text and step is None:
            raise ScheduleError(expression, f"{part!r}: the step must be a positive number")
        if base == "*":
            first, last = 0, 6
        elif "-" in base:
            low, high = base.split("-", 1)
            first, last = _weekday(low, expression), _weekday(high, expression)
            last = 7 if last == 0 and first > 0 else last     # "5-7" and "5-0" end on Sunday
        else:
            first = last = _weekday(base, expression)
            if step:
                last = 6
        if last < first:
            raise ScheduleError(expression, f"{part!r}: the range runs backwards")
        days |= {d % 7 for d in range(first, last + 1, step or 1)}
    return ",".join(name for name in APSCHEDULER_WEEK if WEEKDAY_NAMES.index(name) in days)


def _cron(fields: dict[str, str], timezone: tzinfo, expression: str) -> CronTrigger:
    try:
        return CronTrigger(timezone=timezone, **fields)
    except ValueError as exc:
        raise ScheduleError(expression, str(exc)) from exc


def parse_schedule(expression: str, timezone: tzinfo) -> BaseTrigger:
    """The trigger firing at the times of the cron ``expression`` in ``timezone``."""
    values = expression.split()
    if len(values) not in (5, 6):
        raise ScheduleError(expression, f"expected 5 fields (6 with seconds), got {len(values)}")
    second = values.pop(0) if len(values) == 6 else "0"
    minute, hour, day, month, weekday = values
    common = {"second": second, "minute": minute, "hour": hour, "month": month}
    weekdays = cron_weekdays(weekday, expression)
    if day != "*" and weekday != "*":
        return OrTrigger([_cron({**common, "day": day}, timezone, expression),
                          _cron({**common, "day_of_week": weekdays}, timezone, expression)])
    return _cron({**common, "day": day, "day_of_week": weekdays}, timezone, expression)


def next_fire(trigger: BaseTrigger, after: datetime) -> datetime | None:
    """The first fire time strictly after ``after``."""
    return trigger.get_next_fire_time(None, after + TICK)


@dataclass(frozen=True)
class DueTicks:
    """The latest fire time not yet run, and the earlier ones it stands for (coalesced)."""

    latest: datetime
    missed: tuple[datetime, ...]      # earliest first, at most MISSED_LISTED of them
    more_missed: bool                 # True when there were more than MISSED_LISTED

    @property
    def missed_count_text(self) -> str:
        return f"more than {len(self.missed)}" if self.more_missed else str(len(self.missed))


def latest_fire(trigger: BaseTrigger, after: datetime, now: datetime) -> datetime | None:
    """The last fire time in ``(after, now]``, or None."""
    for span in LOOKBACK:
        start = max(after, now - span)
        found = next_fire(trigger, start)
        if found is not None and found <= now:
            while (following := next_fire(trigger, found)) is not None and following <= now:
                found = following
            return found
        if start == after:
            return None
    found = None
    cursor = after
    while (following := next_fire(trigger, cursor)) is not None and following <= now:
        found = cursor = following
    return found


def due_ticks(trigger: BaseTrigger, after: datetime, now: datetime) -> DueTicks | None:
    """Fire times in ``(after, now]``: the latest to run, the rest missed; None when none."""
    latest = latest_fire(trigger, after, now)
    if latest is None:
        return None
    missed = []
    cursor = after
    while (following := next_fire(trigger, cursor)) is not None and following < latest:
        if len(missed) == MISSED_LISTED:
            return DueTicks(latest, tuple(missed), True)
        missed.append(following)
        cursor = following
    return DueTicks(latest, tuple(missed), False)
