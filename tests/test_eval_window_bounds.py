"""Several windows over one fact table share one scan (SPEC §3.5 Windows): a row is kept to a
metric's window by tests on its date, leaving out the bounds the scanned range already enforces;
the values at every window boundary stay those of ``[start, end)``."""
from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy.dialects import postgresql, sqlite

from engine.definitions.ruleset_specs import AggregateMetric
from engine.evaluation import evaluate
from engine.evaluation.aggregates import run_table, table_queries
from engine.evaluation.scope import scope_ids
from engine.evaluation.windows import Window
from tests.eval_support import D, Facts, by_code, install, ruleset

AS_OF = D(2026, 3, 31)
WINDOWS = {
    "year": {"months": 12},                               # [2025-03-31, 2026-03-31)
    "quarter": {"months": 3},                             # [2025-12-31, 2026-03-31)
    "prev_year": {"months": 12, "offset_months": 12},     # [2024-03-31, 2025-03-31)
    "middle": {"months": 6, "offset_months": 3},          # [2025-06-30, 2025-12-31)
}
# Orders on each side of every bound; amounts are powers of two, so a sum names its rows.
ORDERS = [(D(2024, 3, 30), 1), (D(2024, 3, 31), 2), (D(2025, 3, 30), 4), (D(2025, 3, 31), 8),
          (D(2025, 6, 29), 16), (D(2025, 6, 30), 32), (D(2025, 12, 30), 64),
          (D(2025, 12, 31), 128), (D(2026, 3, 30), 256), (D(2026, 3, 31), 512)]


def _metrics() -> dict:
    return {name: {"aggregate": "sum", "of": "orders.amount", "window": window}
            for name, window in WINDOWS.items()}


EXPECTED = {"year": 8 + 16 + 32 + 64 + 128 + 256, "quarter": 128 + 256, "prev_year": 2 + 4,
            "middle": 32 + 64}


def _customer_with_orders(engine) -> int:
    facts = Facts(engine)
    customer = facts.customer("C1", type="clinic")
    for day, amount in ORDERS:
        facts.order("C1", day, amount)
    return customer


def test_sums_at_every_window_boundary(engine, tmp_path):
    install(engine, tmp_path, ruleset(metrics=_metrics()))
    _customer_with_orders(engine)
    result = evaluate(engine, "rs", as_of=AS_OF, dry_run=True)
    assert {name: by_code(result, name)["C1"] for name in WINDOWS} == EXPECTED


def _metric_specs() -> list[AggregateMetric]:
    return [AggregateMetric(id=name, function="sum", of="orders.amount", where=None,
                            window_months=w["months"], offset_months=w.get("offset_months", 0))
            for name, w in WINDOWS.items()]


def _query():
    [query] = table_queries(_metric_specs(), AS_OF)
    return query


def test_windows_sharing_no_day_can_go_in_separate_queries():
    queries = table_queries(_metric_specs(), AS_OF, split_windows=True)
    assert [[c.metric.id for c in q.columns] for q in queries] == \
        [["prev_year"], ["year", "quarter", "middle"]]
    assert [str(q.scanned) for q in queries] == ["[2024-03-31, 2025-03-31)",
                                                 "[2025-03-31, 2026-03-31)"]
    assert queries[0].window_bounds(queries[0].windows[0]) == []


@pytest.mark.parametrize("split", [False, True])
def test_separate_and_shared_scans_agree(engine, split):
    customer = _customer_with_orders(engine)
    values = {}
    with engine.connect() as connection:
        for query in table_queries(_metric_specs(), AS_OF, split_windows=split):
            values.update(run_table(connection, query, scope_ids(["clinic"]),
                                    np.array([customer], dtype=np.int64)))
    assert {name: vec.to_python()[0] for name, vec in values.items()} == EXPECTED


def test_bounds_implied_by_the_scan_are_left_out():
    query = _query()
    assert query.scanned == Window(D(2024, 3, 31), D(2026, 3, 31))
    bounds = {str(window): [str(b.compile(compile_kwargs={"literal_binds": True}))
                            for b in query.window_bounds(window)]
              for window in query.windows}
    assert bounds == {
        "[2024-03-31, 2025-03-31)": ["f.date < '2025-03-31'"],
        "[2025-03-31, 2026-03-31)": ["f.date >= '2025-03-31'"],
        "[2025-06-30, 2025-12-31)": ["f.date >= '2025-06-30'", "f.date < '2025-12-31'"],
        "[2025-12-31, 2026-03-31)": ["f.date >= '2025-12-31'"],
    }


def test_one_window_needs_no_test_per_row():
    metrics = [AggregateMetric(id="a", function="sum", of="orders.amount", where=None, window_months=12),
               AggregateMetric(id="b", function="count", of="orders", where=None, window_months=12)]
    [query] = table_queries(metrics, AS_OF)
    for dialect in (sqlite.dialect(), postgresql.dialect()):
        text = str(query.select(scope_ids(["clinic"])).compile(
            dialect=dialect, compile_kwargs={"literal_binds": True}))
        assert "CASE" not in text
        assert text.count("f.date") == 2          # the scanned range only
