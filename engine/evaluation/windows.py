"""Calendar-month windows of facts, computed from ``as_of`` (SPEC §3.2, §3.5)."""
from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass


def months_before(day: dt.date, months: int) -> dt.date:
    """``day`` minus ``months`` calendar months, clipped to the month's last day.

    2026-03-31 minus one month is 2026-02-28; 2024-03-31 minus one month is 2024-02-29.
    """
    index = day.year * 12 + (day.month - 1) - months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


@dataclass(frozen=True, order=True)
class Window:
    """Facts dated in ``[start, end)``."""

    start: dt.date
    end: dt.date

    @classmethod
    def of(cls, as_of: dt.date, months: int, offset_months: int = 0) -> "Window":
        """``[as_of − (months + offset) months, as_of − offset months)``, each bound from
        ``as_of`` directly (never one bound from the other)."""
        return cls(months_before(as_of, months + offset_months), months_before(as_of, offset_months))

    def __str__(self) -> str:
        return f"[{self.start.isoformat()}, {self.end.isoformat()})"
