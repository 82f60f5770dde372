"""Report figures kept for the next reader (``engine.reports.cache``): the payload reads back
equal, a change to what reports read is seen at once, kept figures age out, every admin shares
and every other viewer has their own, and a store that fails costs nothing but time. On the
pages: the second view says when its figures were computed and offers to compute them again;
completing a task through the API (no audit entry) still changes the next view."""
from __future__ import annotations

import datetime as dt
import json
import math
import time

import pytest
from sqlalchemy import select, text, update

from engine import audit
from engine.access import Viewer
from engine.db import WRITE_OPTION, transaction
from engine.models import EvaluationRun, ReportResult, Task, Visit, utcnow
from engine.reports import cache
from engine.reports.compliance import Period
from reports_a_world import RULESET, _world_snapshot, small, world  # noqa: F401
from web.database import get_engine
from web_support import app, client, make_app, sign_in, text as body_of  # noqa: F401

ADMIN = Viewer(1, "admin", "admin")
OTHER_ADMIN = Viewer(2, "boss", "admin")
MANAGER = Viewer(3, "m1", "manager", "north")
KEEP = 900.0


class Counter:
    """A report computation that counts its calls and returns a fresh list each time."""

    def __init__(self, value):
        self.value, self.calls = value, 0

    def __call__(self):
        self.calls += 1
        return self.value


def fetch(engine, compute, viewer=ADMIN, arguments=None, **options):
    options.setdefault("keep_seconds", KEEP)
    with engine.connect() as connection:
        return cache.cached(connection, "test report", viewer, arguments or {"run": 1},
                            compute, **options)


# --- the payload -------------------------------------------------------------------------------

def test_a_payload_reads_back_equal():
    value = {"period": Period(dt.date(2027, 1, 1), dt.date(2027, 4, 1)),
             "when": dt.datetime(2027, 4, 1, 8, 30, tzinfo=dt.UTC), "day": dt.date(2027, 1, 1),
             "paths": [{"segments": ("star", None, "dog"), "count": 3}],
             "points": [(0.0, 0.0), (0.5, 0.8)], "none_key": {None: 1, "a": 2},
             "tuple_key": {("star", "dog"): 4}, "__looks_tagged": "x", "nested": [[1, 2.5]]}
    again = cache.loads(json.dumps(cache.encode(value)))
    assert again == value
    assert isinstance(again["period"], Period) and again["period"].days == 90
    assert isinstance(again["paths"][0]["segments"], tuple)


def test_floats_json_cannot_hold_read_back():
    again = cache.loads(json.dumps(cache.encode([math.inf, -math.inf, math.nan, 0.1])))
    assert again[:2] == [math.inf, -math.inf] and math.isnan(again[2]) and again[3] == 0.1


def test_a_payload_of_an_unknown_kind_is_refused_by_name():
    with pytest.raises(TypeError, match="cannot hold object"):
        cache.encode({"x": object()})


def test_keys_differ_by_report_arguments_and_scope_but_admins_share():
    key = cache.report_key("r", ADMIN, {"run": 1})
    assert key == cache.report_key("r", OTHER_ADMIN, {"run": 1})
    assert len({key, cache.report_key("r", MANAGER, {"run": 1}),
                cache.report_key("r", ADMIN, {"run": 2}),
                cache.report_key("other", ADMIN, {"run": 1})}) == 4


# --- keeping -----------------------------------------------------------------------------------

def test_the_second_reader_gets_the_kept_figures(engine):
    compute = Counter([{"segment": "star", "count": 2}])
    first, second = fetch(engine, compute), fetch(engine, compute)
    assert (first.stored, second.stored, compute.calls) == (False, True, 1)
    assert second.value == first.value and second.computed_at == first.computed_at
    assert fetch(engine, compute, fresh=True).stored is False and compute.calls == 2
    assert fetch(engine, compute, viewer=MANAGER).stored is False and compute.calls == 3


def test_nothing_is_kept_when_keeping_is_off(engine):
    compute = Counter([1])
    fetch(engine, compute, keep_seconds=0)
    assert fetch(engine, compute, keep_seconds=0).stored is False and compute.calls == 2
    with engine.connect() as connection:
        assert connection.scalar(select(ReportResult.key)) is None


def test_kept_figures_age_out(engine):
    compute = Counter([1])
    fetch(engine, compute)
    with transaction(engine) as session:
        session.execute(update(ReportResult).values(
            computed_at=utcnow() - dt.timedelta(seconds=KEEP + 1)))
    assert fetch(engine, compute).stored is False and compute.calls == 2
    with engine.connect() as connection:        # the old row was replaced, not added to
        assert len(connection.execute(select(ReportResult.key)).all()) == 1


def _audit(session, small):
    audit.record(session, "test", "customer.update", "customer", "D1")


def test_signing_in_changes_nothing_reports_read(engine, small):
    compute = Counter([1])
    fetch(engine, compute)
    with transaction(engine) as session:
        for action in ("login.succeeded", "token.create", "job.enqueue", "user.password"):
            audit.record(session, "m1", action, "user", "m1")
    assert fetch(engine, compute).stored is True and compute.calls == 1


def _visit(session, small):
    session.add(Visit(visit_id="v-new", customer_id=small.ids["D1"], date=dt.date(2027, 2, 1),
                      channel="face_to_face"))


def _run_finished(session, small):
    session.execute(update(EvaluationRun).where(EvaluationRun.id == small.runs["C"])
                    .values(finished_at=None))


def _task_completed(session, small):
    task = session.scalars(select(Task).limit(1)).first()
    task.status, task.completed_at = "done", utcnow()


def _task_moved_in_the_app(session, small):
    audit.record(session, "r1", "task.complete", "task", 1)


@pytest.mark.parametrize("change, reads_work", [
    (_audit, True), (_visit, True), (_run_finished, True), (_task_completed, True),
    (_task_moved_in_the_app, True), (_audit, False), (_run_finished, False)],
    ids=["audit entry", "visit", "run finished", "task completed", "task moved in the app",
         "audit entry, scores only", "run finished, scores only"])
def test_a_change_to_what_reports_read_is_seen_at_once(engine, small, change, reads_work):
    with transaction(engine) as session:
        if change is _task_completed and session.scalar(select(Task.id).limit(1)) is None:
            pytest.skip("the world has no task")
    compute = Counter([1])
    fetch(engine, compute, work=reads_work)
    assert fetch(engine, compute, work=reads_work).stored is True
    with transaction(engine) as session:
        change(session, small)
    assert fetch(engine, compute, work=reads_work).stored is False and compute.calls == 2


@pytest.mark.parametrize("change", [_visit, _task_completed, _task_moved_in_the_app],
                         ids=["visit", "task completed", "task moved in the app"])
def test_the_reps_work_changes_nothing_a_scores_report_reads(engine, small, change):
    compute = Counter([1])
    fetch(engine, compute, work=False)
    with transaction(engine) as session:
        change(session, small)
    assert fetch(engine, compute, work=False).stored is True and compute.calls == 1


def test_a_store_that_fails_costs_only_time(engine, caplog):
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE report_results RENAME TO report_results_away"))
    try:
        compute = Counter([1])
        assert fetch(engine, compute).value == [1]
        assert fetch(engine, compute).stored is False and compute.calls == 2
        assert "figures not kept" in caplog.text
    finally:
        with engine.begin() as connection:
            connection.execute(text("ALTER TABLE report_results_away RENAME TO report_results"))


def test_a_store_waits_briefly_for_a_writer_then_gives_up(engine, caplog):
    compute = Counter([1])
    with engine.connect().execution_options(**{WRITE_OPTION: True}) as holder:
        holder.begin()                           # on SQLite, an import's write lock
        if engine.dialect.name == "postgresql":
            holder.exec_driver_sql("LOCK TABLE report_results IN EXCLUSIVE MODE")
        try:
            started = time.perf_counter()
            assert fetch(engine, compute).value == [1]
            assert time.perf_counter() - started < 5
        finally:
            holder.rollback()
    assert "figures not kept" in caplog.text
    assert fetch(engine, compute).stored is False        # nothing was kept
    assert fetch(engine, compute).stored is True         # the lock is gone: kept now


# --- the pages ---------------------------------------------------------------------------------

PAGES = ("quadrant", "segments", "migration", "compliance", "conversion", "concentration")


@pytest.mark.parametrize("page", PAGES)
def test_a_page_seen_again_says_when_its_figures_were_computed(client, small, page):
    assert sign_in(client, "admin").status_code in (302, 303)
    url = f"/reports/{page}?ruleset={RULESET}&run={small.runs['C']}&run_b={small.runs['A']}"
    first = body_of(client.get(url))
    assert "Compute again" not in first and "重新计算" not in first
    second = client.get(url)
    assert second.status_code == 200
    again = body_of(second)
    assert "重新计算" in again or "Compute again" in again
    assert "fresh=1" in again
    fresh = body_of(client.get(url + "&fresh=1"))
    assert "重新计算" not in fresh and "Compute again" not in fresh


def test_a_page_with_keeping_off_computes_every_time(make_app, small):
    client = make_app(REPORT_KEEP_SECONDS=0).test_client()
    assert sign_in(client, "admin").status_code in (302, 303)
    url = f"/reports/segments?ruleset={RULESET}"
    client.get(url)
    assert "重新计算" not in body_of(client.get(url))


def test_a_page_whose_figures_cannot_be_kept_still_answers(client, small):
    assert sign_in(client, "admin").status_code in (302, 303)
    url = f"/reports/compliance?ruleset={RULESET}&run={small.runs['C']}&run_b={small.runs['A']}"
    expected = body_of(client.get(url + "&fresh=1"))
    with client.application.app_context():
        engine = get_engine()
        with engine.begin() as connection:
            connection.execute(text("ALTER TABLE report_results RENAME TO report_results_away"))
    try:
        response = client.get(url)
        assert response.status_code == 200
        assert body_of(response).count("<td") == expected.count("<td")
    finally:
        with engine.begin() as connection:
            connection.execute(text("ALTER TABLE report_results_away RENAME TO report_results"))
