"""A ruleset's cron schedule in words ("每周一 03:30", "Mondays at 03:30") and its next times.

The schedule is read as ``engine.scheduler.schedules`` reads it (five fields, six with seconds
first; weekday 0 and 7 are Sunday; a restricted day and weekday fire on either). Fields that
have no short wording (``*/7`` hours, mixed steps) are quoted as written, so the words never
say something the scheduler would not do.
"""
from __future__ import annotations

from datetime import datetime, tzinfo

from engine.scheduler.schedules import WEEKDAY_NAMES, next_fire, parse_schedule

MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")
MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
               "dec")
WEEKDAYS_EN = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
WEEKDAYS_ZH = ("日", "一", "二", "三", "四", "五", "六")


def next_times(expression: str, timezone: tzinfo, after: datetime, count: int = 3
               ) -> list[datetime]:
    """The next ``count`` fire times after ``after``; ``ScheduleError`` when it is invalid."""
    trigger = parse_schedule(expression, timezone)
    times: list[datetime] = []
    cursor = after
    while len(times) < count and (cursor := next_fire(trigger, cursor)) is not None:
        times.append(cursor)
    return times


def describe_schedule(expression: str, locale: str = "en") -> str:
    """The schedule in words in ``locale`` (``zh`` or English); call it after the expression
    has been checked (``parse_schedule``)."""
    words = _Words(locale == "zh")
    values = expression.split()
    second = values.pop(0) if len(values) == 6 else "0"
    minute, hour, day, month, weekday = values
    return words.join(words.days(day, month, weekday), words.time(second, minute, hour))


def _number(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def _step(text: str) -> int | None:
    """``n`` of ``*/n``, else None."""
    if text.startswith("*/") and text[2:].isdigit():
        return int(text[2:])
    return None


def _values(field: str, names: tuple[str, ...] = (), first: int = 0) -> list[int] | None:
    """The listed values of ``1,4,7``-style field (names allowed), or None if it has ranges
    or steps."""
    out = []
    for part in field.split(","):
        part = part.lower()
        if part.isdigit():
            out.append(int(part))
        elif part[:3] in names and len(part) == 3:
            out.append(names.index(part) + first)
        else:
            return None
    return out


def _range(field: str, names: tuple[str, ...] = (), first: int = 0) -> tuple[int, int] | None:
    low, dash, high = field.partition("-")
    if not dash or "," in field or "/" in field:
        return None
    bounds = _values(low, names, first), _values(high, names, first)
    if not all(b and len(b) == 1 for b in bounds):
        return None
    return bounds[0][0], bounds[1][0]


class _Words:
    def __init__(self, zh: bool):
        self.zh = zh

    def listed(self, items: list[str]) -> str:
        if self.zh:
            return "、".join(items)
        return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]

    def join(self, days: str, time: str) -> str:
        if days in ("每天", "every day") and time.startswith(("每", "every")):
            days, time = time, ""
        if not time:
            return days if self.zh else days[0].upper() + days[1:]
        if self.zh:
            return f"{days} {time}"
        return f"{days[0].upper()}{days[1:]} {time}"

    # --- time of day ---
    def time(self, second: str, minute: str, hour: str) -> str:
        if minute == hour == "*" and (second == "*" or _step(second)):
            n = _step(second) or 1
            return f"每{n}秒" if self.zh else f"every {n} seconds"
        sec = "" if second == "0" else self._seconds(second)
        m, hours = _number(minute), _values(hour)
        if m is not None and hours is not None:
            times = [f"{h:02d}:{m:02d}" for h in hours]
            return (self.listed(times) if self.zh else "at " + self.listed(times)) + sec
        if hour == "*" and m is not None:
            return (f"每小时第{m}分" if self.zh else f"every hour at minute {m}") + sec
        step = _step(minute)
        if hour == "*" and (minute == "*" or step):
            n = step or 1
            return (f"每{n}分钟" if self.zh else
                    ("every minute" if n == 1 else f"every {n} minutes")) + sec
        return (f"（分 {minute}，时 {hour}）" if self.zh else
                f"at minute {minute} of hour {hour}") + sec

    def _seconds(self, second: str) -> str:
        step = _step(second)
        if step or second == "*":
            return f"，每{step or 1}秒" if self.zh else f", every {step or 1} seconds"
        return f" 第{second}秒" if self.zh else f" (second {second})"

    # --- days ---
    def days(self, day: str, month: str, weekday: str) -> str:
        months = self.months(month)
        if day == "*" and weekday == "*":
            base = "每天" if self.zh else "every day"
            if months:
                return f"{months}每天" if self.zh else f"every day in {months}"
            return base
        parts = []
        if day != "*":
            parts.append(self.month_days(day, months))
        if weekday != "*":
            parts.append(self.weekdays(weekday) + (f"（{months}）" if self.zh and months and
                                                    day == "*" else ""))
            if not self.zh and months and day == "*":
                parts[-1] += f" in {months}"
        return ("或" if self.zh else " or ").join(parts)

    def months(self, field: str) -> str:
        if field == "*":
            return ""
        listed = _values(field, MONTH_NAMES, 1)
        if listed and all(1 <= v <= 12 for v in listed):
            if self.zh:
                return "、".join(f"{v}月" for v in listed)
            return self.listed([MONTHS_EN[v - 1] for v in listed])
        span = _range(field, MONTH_NAMES, 1)
        if span and all(1 <= v <= 12 for v in span):
            a, b = span
            return f"{a}月至{b}月" if self.zh else f"{MONTHS_EN[a - 1]} to {MONTHS_EN[b - 1]}"
        return f"月份 {field}" if self.zh else f"months {field}"

    def month_days(self, field: str, months: str) -> str:
        listed, span, step = _values(field), _range(field), _step(field)
        if listed:
            days = [str(d) for d in listed]
            text = ("、".join(f"{d}日" for d in days) if self.zh else
                    ("day " if len(days) == 1 else "days ") + self.listed(days))
        elif span:
            text = f"{span[0]}日至{span[1]}日" if self.zh else f"days {span[0]} to {span[1]}"
        elif step:
            text = f"从1日起每{step}天" if self.zh else f"every {step} days from day 1"
        else:
            text = f"日期 {field}" if self.zh else f"days {field}"
        if self.zh:
            return f"{months}的{text}" if months else f"每月{text}"
        return f"{text} of {months}" if months else f"{text} of every month"

    def weekdays(self, field: str) -> str:
        listed = _values(field, WEEKDAY_NAMES)
        if listed and all(0 <= v <= 7 for v in listed):
            days = [v % 7 for v in listed]
            if self.zh:
                return "每周" + "、周".join(WEEKDAYS_ZH[d] for d in days)
            return self.listed([WEEKDAYS_EN[d] + "s" for d in days])
        span = _range(field, WEEKDAY_NAMES)
        if span and all(0 <= v <= 7 for v in span):
            a, b = (v % 7 for v in span)
            if self.zh:
                return f"每周{WEEKDAYS_ZH[a]}至周{WEEKDAYS_ZH[b]}"
            return f"{WEEKDAYS_EN[a]} to {WEEKDAYS_EN[b]}"
        return f"星期 {field}" if self.zh else f"weekdays {field}"
