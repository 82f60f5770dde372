"""A ruleset's schedule in words (zh and en) and its next three times."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from engine.definitions.schedule_words import describe_schedule, next_times
from engine.errors import InvalidInput

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize("expression, zh, en", [
    ("30 3 * * 1", "每周一 03:30", "Mondays at 03:30"),
    ("0 2 1 1,4,7,10 *", "1月、4月、7月、10月的1日 02:00",
     "Day 1 of January, April, July and October at 02:00"),
    ("0 6 * * *", "每天 06:00", "Every day at 06:00"),
    ("0 8 * * 1-5", "每周一至周五 08:00", "Monday to Friday at 08:00"),
    ("0 9 * * 1,4", "每周一、周四 09:00", "Mondays and Thursdays at 09:00"),
    ("0 9 * * 7", "每周日 09:00", "Sundays at 09:00"),
    ("0 8,14 * * *", "每天 08:00、14:00", "Every day at 08:00 and 14:00"),
    ("*/15 * * * *", "每15分钟", "Every 15 minutes"),
    ("0 9 1,15 * mon", "每月1日、15日或每周一 09:00",
     "Days 1 and 15 of every month or Mondays at 09:00"),
    ("*/3 * * * * *", "每3秒", "Every 3 seconds"),
])
def test_schedules_in_words(expression, zh, en):
    assert describe_schedule(expression, "zh") == zh
    assert describe_schedule(expression, "en") == en


def test_an_unusual_field_is_quoted_not_guessed():
    assert "*/7" in describe_schedule("0 */7 * * *", "en")


def test_the_next_three_times_follow_the_scheduler():
    after = datetime(2026, 12, 3, 12, 0, tzinfo=SHANGHAI)
    times = next_times("30 3 * * 1", SHANGHAI, after)
    assert [t.strftime("%Y-%m-%d %H:%M %a") for t in times] == [
        "2026-12-07 03:30 Mon", "2026-12-14 03:30 Mon", "2026-12-21 03:30 Mon"]
    both = next_times("0 9 1 * 1", SHANGHAI, datetime(2027, 1, 31, 12, 0, tzinfo=SHANGHAI))
    assert [t.day for t in both] == [1, 8, 15], "day 1 or a Monday, as cron reads it"


def test_an_invalid_schedule_gives_the_schedulers_message():
    with pytest.raises(InvalidInput, match="schedule '61 3 \\* \\* 1'"):
        next_times("61 3 * * 1", SHANGHAI, datetime(2026, 12, 3, tzinfo=SHANGHAI))
