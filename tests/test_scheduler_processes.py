"""``kamflow scheduler`` as real processes against one database: each tick runs once, a process
killed half-way is finished by the next, missed ticks are coalesced and audited, and a ruleset
published while it runs is picked up. Runs on SQLite and on PostgreSQL (see conftest)."""
from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from engine.db import transaction
from engine.definitions.published import published_spec
from engine.models import (AuditEntry, CustomerScore, EvaluationRun, Notification, SchedulerTick,
                           Task, User)
from engine.packs import import_pack
from engine.setup import initialize
from tests.packs_support import PHARMACY_PACK
from tests.scheduler_support import (SchedulerProcess, SmtpSink, WebhookReceiver,
                                     backdate_versions, run_kamflow, seed_company, wait_for)

EVERY_2S = "*/2 * * * * *"
JOB = "evaluate:value_potential"
SECRET = "hook-secret"


@pytest.fixture
def company(engine):
    initialize(engine, admin_password="x")
    seed_company(engine)
    return engine


def fast(**more) -> dict:
    env = {"KAMFLOW_SCHEDULE_OVERRIDE": EVERY_2S, "KAMFLOW_SCHEDULER_REFRESH_SECONDS": "1",
           "KAMFLOW_NOTIFY_INTERVAL_SECONDS": "0"}
    return {**env, **more}


def read(session, query):
    session.rollback()
    session.expire_all()
    return session.scalars(query).all()


def ticks(session, status=None, job=JOB):
    query = select(SchedulerTick).where(SchedulerTick.job_key == job)
    if status:
        query = query.where(SchedulerTick.status == status)
    return read(session, query.order_by(SchedulerTick.tick_at))


def assert_tasks_match_segments(session, run_id):
    """Every customer has exactly the on_enter tasks of its segment: none missing, none twice."""
    workflow = published_spec(session, "workflow", "quadrant_followup")
    scores = read(session, select(CustomerScore).where(CustomerScore.run_id == run_id))
    expected = Counter((s.customer_id, t) for s in scores
                       for t in dict(workflow.on_enter)[s.effective_segment])
    got = Counter((t.customer_id, t.template) for t in read(session, select(Task)))
    assert got == expected
    return sum(got.values())


def test_two_schedulers_run_each_tick_once(company, session, tmp_path):
    with SmtpSink() as sink, WebhookReceiver(SECRET) as receiver:
        env = fast(KAMFLOW_NOTIFY_INTERVAL_SECONDS="1", KAMFLOW_SMTP_HOST="127.0.0.1",
                   KAMFLOW_SMTP_PORT=str(sink.port), KAMFLOW_SMTP_FROM="kamflow@x.cn",
                   KAMFLOW_WEBHOOK_URL=receiver.url, KAMFLOW_WEBHOOK_SECRET=SECRET)
        with SchedulerProcess(tmp_path / "a.log", env) as a, \
                SchedulerProcess(tmp_path / "b.log", env) as b:
            wait_for(lambda: len(ticks(session, "done")) >= 3, what="three ticks done")
            assert (a.stop(), b.stop()) == (0, 0), a.log + b.log
    # The tasks' notifications went out by e-mail and webhook, once each.
    notices = read(session, select(Notification).order_by(Notification.id))
    assert notices and {(n.email_status, n.webhook_status) for n in notices} == {
        ("sent:1", "sent:1")}
    assert sorted(r.document["id"] for r in receiver.accepted) == [n.id for n in notices]
    assert sorted(int(m["X-Kamflow-Notification"]) for m in sink.messages) == [
        n.id for n in notices]
    done = ticks(session, "done")
    runs = read(session, select(EvaluationRun).order_by(EvaluationRun.id))
    # One run per tick, named by it; consecutive fire times, none skipped after the first.
    assert [r.tick_key for r in runs] == [
        f"{JOB}@{t.tick_at.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}" for t in done]
    assert [t.run_id for t in done] == [r.id for r in runs]
    assert {r.status for r in runs} == {"completed"} and {r.trigger for r in runs} == {"scheduler"}
    steps = {b.tick_at - a.tick_at for a, b in zip(done, done[1:])}
    assert steps == {timedelta(seconds=2)}
    assert not ticks(session, "claimed") and not ticks(session, "failed")
    assert assert_tasks_match_segments(session, runs[0].id) > 40
    owners = Counter(t.claimed_by.split(":")[1] for t in done)
    print("ticks per process:", dict(owners), "notifications:",
          Counter((n.kind, n.user_id) for n in notices))


@pytest.fixture
def big_company(engine):
    """3000 hospitals: applying the first run to the workflows takes a second or two."""
    initialize(engine, admin_password="x")
    seed_company(engine, 3000)
    return engine


def assert_every_task_in_a_digest(session, run_id):
    """Each task the run created is counted in exactly one digest (its assignee's, or the
    admins' for unassigned ones): none of the run's notifications was lost."""
    digests = read(session, select(Notification).where(
        Notification.kind.in_(("task.assigned", "task.unassigned"))))
    per_key = Counter((n.payload["workflow_id"], n.user_id) for n in digests
                      if n.payload["run_id"] == run_id)
    tasks = read(session, select(Task).where(Task.run_id == run_id))
    assert set(per_key.values()) == {1}
    assert {key: n.payload["count"] for n in digests for key in
            [(n.payload["workflow_id"], n.user_id)]} == dict(
        Counter((t.workflow_id, t.assignee_id) for t in tasks))


def test_a_run_killed_half_way_is_finished_after_restart(big_company, session, tmp_path):
    env = fast(KAMFLOW_SCHEDULE_OVERRIDE="0 0 1 1 *")     # yearly: only the catch-up tick runs
    backdate_versions(big_company, datetime.now(UTC) - timedelta(days=400))
    # Killed (SIGKILL, by itself) once the run's scores are stored and its first batch of
    # customers moved, while the second is still to come: the hardest place to resume from.
    killed_env = {**env, "KAMFLOW_FAILPOINT": "workflows.batch_written"}
    with SchedulerProcess(tmp_path / "a.log", killed_env) as a:
        assert a.wait() == -9, a.log
    # Nothing of the run is left half-applied: no run, no score, no task, no notification.
    assert read(session, select(EvaluationRun)) == []
    assert read(session, select(Task.id)) == [] and read(session, select(Notification)) == []
    [killed] = ticks(session, "claimed")
    killed_id, killer = killed.id, killed.claimed_by
    assert f":{a.pid}:" in killer
    with SchedulerProcess(tmp_path / "b.log", env) as b:
        wait_for(lambda: ticks(session, "done"), timeout=60, what="the tick to be finished")
        assert b.stop() == 0
    [finished] = ticks(session, "done")
    [run] = read(session, select(EvaluationRun))
    assert finished.id == killed_id and finished.run_id == run.id
    assert finished.details["taken_over_from"] == killer
    assert assert_tasks_match_segments(session, run.id) > 3000
    assert_every_task_in_a_digest(session, run.id)
    [audit] = read(session, select(AuditEntry).where(
        AuditEntry.action == "scheduler.tick_taken_over"))
    assert audit.details["previous_owner"] == killer
    assert "resuming tick" in b.log


def test_a_run_left_running_by_a_dead_scheduler_is_made_again(company, session, tmp_path):
    """The evaluation stores a run in one transaction; should a run still be 'running' (a
    crash inside it), the tick is evaluated again and the stale run kept as failed."""
    tick_at = datetime(2026, 1, 1, tzinfo=UTC)
    key = f"{JOB}@2026-01-01T00:00:00Z"
    with transaction(company) as s:
        version_id = published_spec(s, "ruleset", "value_potential").version_id
        s.add(EvaluationRun(ruleset_id="value_potential", ruleset_version_id=version_id,
                            as_of=tick_at.date(), status="running", trigger="scheduler",
                            tick_key=key))
        s.add(SchedulerTick(job_key=JOB, tick_at=tick_at, status="claimed",
                            claimed_by="elsewhere:1:dead", claimed_at=tick_at))
    result = run_kamflow("scheduler", "--once")
    assert result.returncode == 0, result.stderr
    runs = read(session, select(EvaluationRun).order_by(EvaluationRun.id))
    assert [(r.status, r.tick_key) for r in runs[:2]] == [("failed", None), ("completed", key)]
    assert "interrupted" in runs[0].error
    [tick] = ticks(session, "done")[:1]
    assert tick.run_id == runs[1].id and tick.details["taken_over_from"] == "elsewhere:1:dead"


def test_missed_ticks_are_coalesced_into_one_run_and_audited(company, session, tmp_path,
                                                             monkeypatch):
    """The production schedule: quarterly at 02:00 Asia/Shanghai. The last tick ran more than
    a year ago; one run catches up, as of the latest quarter, and the others are audited."""
    zone = ZoneInfo("Asia/Shanghai")
    now = datetime.now(zone)
    quarters = [datetime(y, m, 1, 2, tzinfo=zone) for y in range(now.year - 2, now.year + 1)
                for m in (1, 4, 7, 10)]
    past = [q for q in quarters if q <= now]
    last_run, missed, latest = past[-6], past[-5:-1], past[-1]
    backdate_versions(company, last_run - timedelta(days=30))
    with transaction(company) as s:
        s.add(SchedulerTick(job_key=JOB, tick_at=last_run, status="done", claimed_by="old:1:x",
                            claimed_at=last_run, finished_at=last_run))
    monkeypatch.setenv("KAMFLOW_TIMEZONE", "Asia/Shanghai")
    result = run_kamflow("scheduler", "--once")
    assert result.returncode == 0, result.stderr
    assert [(t.tick_at, t.status) for t in ticks(session)] == (
        [(last_run, "done")] + [(m, "missed") for m in missed] + [(latest, "done")])
    [run] = read(session, select(EvaluationRun))
    assert run.as_of == latest.date() and run.tick_key == (
        f"{JOB}@{latest.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}")
    [entry] = read(session, select(AuditEntry).where(
        AuditEntry.action == "scheduler.ticks_missed"))
    assert entry.object_id == JOB and entry.details["missed"] == 4
    assert entry.details["first"] == missed[0].astimezone(UTC).isoformat()
    assert entry.details["run_instead"] == latest.astimezone(UTC).isoformat()
    again = run_kamflow("scheduler", "--once")
    assert again.returncode == 0 and len(read(session, select(EvaluationRun))) == 1


def test_a_ruleset_published_while_running_is_picked_up(company, session, tmp_path):
    with SchedulerProcess(tmp_path / "a.log", fast()) as a:
        wait_for(lambda: ticks(session, "done"), what="the first tick")
        import_pack(company, PHARMACY_PACK, actor="test")
        wait_for(lambda: ticks(session, "done", job="evaluate:pharmacy_abc"), timeout=15,
                 what="a tick of the new ruleset")
        assert a.stop() == 0
    assert "evaluate:pharmacy_abc: scheduled [*/2 * * * * *]" in a.log
    runs = read(session, select(EvaluationRun.ruleset_id, func.count())
                 .group_by(EvaluationRun.ruleset_id))
    assert {"value_potential", "pharmacy_abc"} <= set(runs)


def test_bad_settings_stop_the_scheduler_with_the_problems(engine, monkeypatch):
    monkeypatch.setenv("KAMFLOW_SCHEDULE_OVERRIDE", "every two seconds")
    monkeypatch.setenv("KAMFLOW_WEBHOOK_URL", "http://127.0.0.1:9/hook")
    result = run_kamflow("scheduler", "--once")
    assert result.returncode == 1
    assert "KAMFLOW_SCHEDULE_OVERRIDE: schedule 'every two seconds': expected 5 fields" in (
        result.stderr)
    assert "KAMFLOW_WEBHOOK_SECRET: a signing secret is required" in result.stderr


def test_daily_maintenance_catches_up_and_mails_the_overdue(company, session, monkeypatch):
    from engine.evaluation import evaluate
    from engine.tasks.notices import TASK_ESCALATED, TASK_OVERDUE
    from engine.workflows import apply_run

    zone = ZoneInfo("Asia/Shanghai")
    apply_run(company, evaluate(company, "value_potential", as_of=date(2026, 1, 1)).run_id)
    with transaction(company) as s:
        s.execute(update(Task).values(due_date=datetime.now(zone).date() - timedelta(days=10)))
        s.execute(update(User).where(User.role == "admin").values(email="admin@example.cn"))
    now = datetime.now(zone)
    latest = now.replace(hour=6, minute=0, second=0, microsecond=0)
    latest -= timedelta(days=1) if latest > now else timedelta(0)
    last_done = latest - timedelta(days=3)
    with transaction(company) as s:
        s.add(SchedulerTick(job_key="maintenance", tick_at=last_done, status="done",
                            claimed_by="old:1:x", claimed_at=last_done, finished_at=last_done))
    with SmtpSink() as sink:
        for name, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(sink.port),
                            "SMTP_FROM": "kamflow@x.cn", "TIMEZONE": "Asia/Shanghai"}.items():
            monkeypatch.setenv(f"KAMFLOW_{name}", value)
        result = run_kamflow("scheduler", "--once")
    assert result.returncode == 0, result.stderr
    assert [(t.tick_at, t.status) for t in ticks(session, job="maintenance")] == [
        (last_done, "done"), (latest - timedelta(days=2), "missed"),
        (latest - timedelta(days=1), "missed"), (latest, "done")]
    overdue = read(session, select(Notification).where(Notification.kind == TASK_OVERDUE))
    assert overdue and {n.payload["as_of"] for n in overdue} == {latest.date().isoformat()}
    escalated = read(session, select(Notification).where(Notification.kind == TASK_ESCALATED))
    assert escalated
    mailed = {int(m["X-Kamflow-Notification"]): m["To"] for m in sink.messages}
    assert {n.id for n in overdue + escalated} <= mailed.keys()
    # The boss hears about the reps' tasks; the admins about the boss's (he has no manager).
    assert {mailed[n.id] for n in escalated} == {"boss@example.cn", "admin@example.cn"}


def test_a_claim_of_another_host_is_taken_over_only_after_its_lease(company, session,
                                                                    monkeypatch):
    zone = ZoneInfo("Asia/Shanghai")
    tick_at = datetime(datetime.now(zone).year, 1, 1, tzinfo=zone)
    backdate_versions(company, tick_at - timedelta(days=1))
    monkeypatch.setenv("KAMFLOW_SCHEDULE_OVERRIDE", "0 0 1 1 *")
    monkeypatch.setenv("KAMFLOW_SCHEDULER_LEASE_SECONDS", "60")
    with transaction(company) as s:
        s.add(SchedulerTick(job_key=JOB, tick_at=tick_at, status="claimed",
                            claimed_by="otherhost:4242:abcd", claimed_at=datetime.now(UTC)))
    assert run_kamflow("scheduler", "--once").returncode == 0
    [tick] = ticks(session)
    assert (tick.status, tick.claimed_by) == ("claimed", "otherhost:4242:abcd")
    assert not read(session, select(EvaluationRun))
    # The other host has not renewed its claim for longer than the lease: it is gone.
    with transaction(company) as s:
        s.execute(update(SchedulerTick).values(
            claimed_at=datetime.now(UTC) - timedelta(seconds=61)))
    assert run_kamflow("scheduler", "--once").returncode == 0
    [tick] = ticks(session)
    assert tick.status == "done" and tick.details["taken_over_from"] == "otherhost:4242:abcd"
    assert [r.tick_key for r in read(session, select(EvaluationRun))] == [
        f"{JOB}@{tick_at.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"]
