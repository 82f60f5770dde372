"""Scheduler settings (``KAMFLOW_<NAME>`` or ``NAME`` in instance/config.py).

=============================  ===========  ===================================================
name                           default      meaning
=============================  ===========  ===================================================
TIMEZONE                       Asia/Shanghai  cron schedules and "today" are read in this zone
SCHEDULER_REFRESH_SECONDS      60           re-read published rulesets (new or changed
                                            schedules) and look for abandoned ticks this often
SCHEDULER_LEASE_SECONDS        300          a claimed tick whose owner has not been heard of
                                            for this long is taken over (an owner on this host
                                            that is gone is taken over at once)
MAINTENANCE_SCHEDULE           0 6 * * *    daily task maintenance (cron, configured zone)
NOTIFY_INTERVAL_SECONDS        60           deliver pending notifications this often (0: off)
SCHEDULE_OVERRIDE              (none)       one cron for every published ruleset instead of its
                                            own; six fields give seconds (``*/3 * * * * *``).
                                            For tests and demos, never for production.
=============================  ===========  ===================================================
"""
from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.config import Settings, load_settings
from engine.errors import InvalidInput, Problem
from engine.notify import NotifySettings, setting
from engine.scheduler.schedules import parse_schedule


@dataclass(frozen=True)
class SchedulerSettings:
    timezone: ZoneInfo
    refresh_seconds: float = 60.0
    lease_seconds: float = 300.0
    maintenance_schedule: str = "0 6 * * *"
    notify_interval_seconds: float = 60.0
    schedule_override: str | None = None
    notify: NotifySettings = NotifySettings()

    @property
    def heartbeat_seconds(self) -> float:
        return max(1.0, self.lease_seconds / 3)

    @classmethod
    def load(cls, settings: Settings | None = None, **overrides) -> SchedulerSettings:
        s = settings or load_settings()
        try:
            zone = ZoneInfo(s.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise InvalidInput([Problem(file="KAMFLOW_TIMEZONE",
                                        message=f"unknown time zone {s.timezone!r}")],
                               subject="settings") from exc
        values = dict(
            timezone=zone,
            refresh_seconds=setting(s, "SCHEDULER_REFRESH_SECONDS", 60.0, float),
            lease_seconds=setting(s, "SCHEDULER_LEASE_SECONDS", 300.0, float),
            maintenance_schedule=setting(s, "MAINTENANCE_SCHEDULE", "0 6 * * *"),
            notify_interval_seconds=setting(s, "NOTIFY_INTERVAL_SECONDS", 60.0, float),
            schedule_override=setting(s, "SCHEDULE_OVERRIDE"),
        )
        values.update({k: v for k, v in overrides.items() if v is not None})
        try:
            values["notify"] = NotifySettings.load(s)
            problems = []
        except InvalidInput as exc:
            problems = list(exc.problems)
        found = cls(**values)
        found.check(problems)
        return found

    def check(self, problems: list[Problem] | None = None) -> None:
        """Refuse bad settings, listing every problem (``problems``: found already)."""
        problems = list(problems or [])
        if self.refresh_seconds <= 0:
            problems.append(Problem(file="KAMFLOW_SCHEDULER_REFRESH_SECONDS",
                                    message="must be positive"))
        if self.lease_seconds <= 0:
            problems.append(Problem(file="KAMFLOW_SCHEDULER_LEASE_SECONDS",
                                    message="must be positive"))
        for name, expression in (("MAINTENANCE_SCHEDULE", self.maintenance_schedule),
                                 ("SCHEDULE_OVERRIDE", self.schedule_override)):
            if expression:
                try:
                    parse_schedule(expression, self.timezone)
                except InvalidInput as exc:
                    problems += [Problem(file=f"KAMFLOW_{name}", message=p.message)
                                 for p in exc.problems]
        if problems:
            raise InvalidInput(problems, subject="settings")
