"""Calendar-month windows: clipped to month end, both bounds from as_of (SPEC §3.5 Windows)."""
from __future__ import annotations

import pytest

from engine.evaluation import evaluate
from engine.evaluation.windows import Window, months_before
from tests.eval_support import D, Facts, by_code, install, ruleset


@pytest.mark.parametrize("day, months, expected", [
    (D(2026, 3, 31), 1, D(2026, 2, 28)),        # clipped to February's end
    (D(2024, 3, 31), 1, D(2024, 2, 29)),        # leap year
    (D(2024, 2, 29), 12, D(2023, 2, 28)),       # leap day back one year
    (D(2024, 2, 29), 48, D(2020, 2, 29)),       # leap day back four years
    (D(2026, 1, 15), 1, D(2025, 12, 15)),       # across the year
    (D(2026, 5, 31), 3, D(2026, 2, 28)),
    (D(2026, 5, 31), 2, D(2026, 3, 31)),        # not chained through February
    (D(2026, 3, 31), 0, D(2026, 3, 31)),
    (D(2026, 3, 31), 25, D(2024, 2, 29)),
])
def test_months_before_clips_to_the_last_day(day, months, expected):
    assert months_before(day, months) == expected


def test_window_bounds_come_from_as_of_directly():
    as_of = D(2026, 3, 31)
    assert Window.of(as_of, 12) == Window(D(2025, 3, 31), D(2026, 3, 31))
    # [as_of − (N+off) months, as_of − off months): 13 months back, then 1 month back.
    assert Window.of(as_of, 12, 1) == Window(D(2025, 2, 28), D(2026, 2, 28))
    assert Window.of(D(2024, 2, 29), 1, 12) == Window(D(2023, 1, 29), D(2023, 2, 28))


def test_facts_on_the_bounds(engine, tmp_path):
    """The start day is in the window, the as_of day (the end) is not."""
    install(engine, tmp_path, ruleset(months=1, metrics={
        "n": {"aggregate": "count", "of": "orders"},
        "prev": {"aggregate": "count", "of": "orders", "window": {"months": 1,
                                                                   "offset_months": 1}}}))
    facts = Facts(engine)
    facts.customer("C1", type="clinic")
    for day in (D(2026, 1, 30), D(2026, 1, 31), D(2026, 2, 27), D(2026, 2, 28),
                D(2026, 3, 30), D(2026, 3, 31)):
        facts.order("C1", day, 1)
    result = evaluate(engine, "rs", as_of=D(2026, 3, 31), dry_run=True)
    # [2026-02-28, 2026-03-31): 02-28 and 03-30.
    assert by_code(result, "n") == {"C1": 2.0}
    # [2026-01-31, 2026-02-28): 01-31 and 02-27.
    assert by_code(result, "prev") == {"C1": 2.0}


def test_leap_day_as_of(engine, tmp_path):
    install(engine, tmp_path, ruleset(months=12, metrics={
        "n": {"aggregate": "count", "of": "orders"}}))
    facts = Facts(engine)
    facts.customer("C1", type="clinic")
    for day in (D(2023, 2, 27), D(2023, 2, 28), D(2024, 2, 28), D(2024, 2, 29)):
        facts.order("C1", day, 1)
    result = evaluate(engine, "rs", as_of=D(2024, 2, 29), dry_run=True)
    # [2023-02-28, 2024-02-29)
    assert by_code(result, "n") == {"C1": 2.0}
