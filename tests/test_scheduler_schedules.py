"""Cron schedules read as cron reads them, and which fire times are due or missed."""
from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from engine.errors import InvalidInput
from engine.scheduler.settings import SchedulerSettings
from engine.scheduler.schedules import due_ticks, next_fire, parse_schedule

SHANGHAI = ZoneInfo("Asia/Shanghai")


def fires(expression, start, count, zone=SHANGHAI):
    trigger, times, cursor = parse_schedule(expression, zone), [], start
    for _ in range(count):
        cursor = next_fire(trigger, cursor)
        times.append(cursor.astimezone(zone).strftime("%a %Y-%m-%d %H:%M:%S"))
    return times


START = datetime(2026, 3, 1, tzinfo=SHANGHAI)     # a Sunday


def test_quarterly_schedule_in_the_configured_zone():
    assert fires("0 2 1 1,4,7,10 *", START, 3) == [
        "Wed 2026-04-01 02:00:00", "Wed 2026-07-01 02:00:00", "Thu 2026-10-01 02:00:00"]
    trigger = parse_schedule("0 2 1 1,4,7,10 *", SHANGHAI)
    assert next_fire(trigger, START).astimezone(UTC).hour == 18      # 02:00 +08:00


@pytest.mark.parametrize("weekday, expected", [
    ("1", ["Mon 2026-03-02", "Mon 2026-03-09"]),
    ("0", ["Sun 2026-03-01", "Sun 2026-03-08"]),
    ("7", ["Sun 2026-03-01", "Sun 2026-03-08"]),
    ("5-7", ["Sun 2026-03-01", "Fri 2026-03-06", "Sat 2026-03-07", "Sun 2026-03-08"]),
    ("*/3", ["Sun 2026-03-01", "Wed 2026-03-04", "Sat 2026-03-07", "Sun 2026-03-08"]),
    ("mon-fri/2", ["Mon 2026-03-02", "Wed 2026-03-04", "Fri 2026-03-06"]),
])
def test_weekdays_count_from_sunday_zero_as_in_cron(weekday, expected):
    got = fires(f"30 3 * * {weekday}", START, len(expected))
    assert [g[:14] for g in got] == expected


def test_day_and_weekday_both_restricted_fire_on_either():
    assert [f[:14] for f in fires("0 9 13 * 5", START, 4)] == [
        "Fri 2026-03-06", "Fri 2026-03-13", "Fri 2026-03-20", "Fri 2026-03-27"]
    assert [f[:14] for f in fires("0 9 10 * 5", START, 3)] == [
        "Fri 2026-03-06", "Tue 2026-03-10", "Fri 2026-03-13"]


def test_six_fields_put_seconds_first():
    assert fires("*/20 * * * * *", START, 3) == [
        "Sun 2026-03-01 00:00:20", "Sun 2026-03-01 00:00:40", "Sun 2026-03-01 00:01:00"]


@pytest.mark.parametrize("expression, message", [
    ("0 2 * *", "expected 5 fields (6 with seconds), got 4"),
    ("0 25 * * *", "'25': the last value (25) is higher than the maximum value (23)"),
    ("0 2 * * 8", "'8' is not a weekday"),
    ("0 2 * * 5-1", "runs backwards"),
])
def test_bad_schedules_are_refused(expression, message):
    with pytest.raises(InvalidInput) as caught:
        parse_schedule(expression, SHANGHAI)
    assert message in str(caught.value)


def test_due_ticks_run_the_latest_and_list_the_missed():
    trigger = parse_schedule("0 2 1 1,4,7,10 *", SHANGHAI)
    due = due_ticks(trigger, datetime(2025, 10, 1, 2, tzinfo=SHANGHAI),
                    datetime(2026, 11, 22, 12, tzinfo=SHANGHAI))
    assert due.latest == datetime(2026, 10, 1, 2, tzinfo=SHANGHAI)
    assert [t.month for t in due.missed] == [1, 4, 7] and not due.more_missed
    assert due_ticks(trigger, due.latest, datetime(2026, 12, 31, tzinfo=SHANGHAI)) is None


def test_due_ticks_stop_listing_after_a_thousand():
    trigger = parse_schedule("* * * * * *", SHANGHAI)
    due = due_ticks(trigger, START, datetime(2026, 3, 2, tzinfo=SHANGHAI))
    assert due.latest == datetime(2026, 3, 2, tzinfo=SHANGHAI)
    assert len(due.missed) == 1000 and due.more_missed
    assert due.missed_count_text == "more than 1000"


def test_scheduler_settings_are_checked(engine, monkeypatch):
    monkeypatch.setenv("KAMFLOW_SCHEDULE_OVERRIDE", "*/2 * * *")
    monkeypatch.setenv("KAMFLOW_MAINTENANCE_SCHEDULE", "0 6 * * 9")
    monkeypatch.setenv("KAMFLOW_SCHEDULER_LEASE_SECONDS", "0")
    with pytest.raises(InvalidInput) as caught:
        SchedulerSettings.load()
    text = str(caught.value)
    assert "3 problems" in text and "KAMFLOW_SCHEDULE_OVERRIDE" in text
    assert "KAMFLOW_MAINTENANCE_SCHEDULE" in text and "KAMFLOW_SCHEDULER_LEASE_SECONDS" in text
