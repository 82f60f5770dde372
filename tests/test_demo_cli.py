"""``kamflow demo``: a fresh database ends up holding the generated data set, evaluated."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.demo.activity import months_before
from engine.demo.dataset import generate
from engine.demo.staff import SOP_HABITS, sop_habit
from engine.evaluation import today
from engine.models import (
    Customer,
    CustomerScore,
    EvaluationRun,
    Order,
    Payment,
    Product,
    Task,
    User,
    Visit,
)
from web.cli import cli

AS_OF = dt.date(2025, 6, 15)
ZONE = ZoneInfo("Asia/Shanghai")
MODELS = {"users": User, "products": Product, "customers": Customer, "orders": Order,
          "payments": Payment, "visits": Visit}


@pytest.fixture
def demo(engine):
    """Run ``kamflow demo --no-serve`` with extra arguments; returns the click Result."""
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(cli, ["demo", "--no-serve", *map(str, args)],
                             catch_exceptions=False)

    return invoke


def stored(engine) -> dict[str, int]:
    with Session(engine) as session:
        return {kind: session.scalar(select(func.count()).select_from(model))
                for kind, model in MODELS.items()}


def test_demo_fills_a_fresh_database(demo, engine):
    result = demo("--customers", 40, "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    dataset = generate(40, 1, as_of=AS_OF)
    expected = {kind: len(dataset.rows(kind)) for kind in MODELS}
    expected["users"] += 1  # the admin that init creates
    assert stored(engine) == expected
    assert expected["customers"] == 40 and expected["orders"] > 500
    assert "sign in as admin with password " in result.output
    assert "customers  40 hospitals" in result.output
    assert f"payments   {expected['payments']:,} invoices" in result.output
    rows = sum(expected.values()) - 1
    assert f"imported   {rows:,} rows: {rows:,} added, 0 changed, 0 unchanged" in result.output


def test_demo_evaluates_two_years_of_quarters_then_runs_the_workflows(demo, engine):
    result = demo("--customers", 40, "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    quarters = [months_before(AS_OF, 3 * back) for back in range(7, 0, -1)] + [AS_OF]
    with Session(engine) as session:
        runs = session.execute(select(EvaluationRun.id, EvaluationRun.as_of, EvaluationRun.status,
                                      EvaluationRun.started_at)
                               .order_by(EvaluationRun.id)).all()
        assert [(r.as_of, r.status) for r in runs] == [(day, "completed") for day in quarters]
        # A past quarter's run looks as if it ran on its date, at night.
        assert runs[0].started_at.astimezone(ZONE).date() == quarters[0]
        active = session.scalar(select(func.count()).select_from(Customer)
                                .where(Customer.status == "active"))
        for run in runs:
            scored = session.scalar(select(func.count()).select_from(CustomerScore)
                                    .where(CustomerScore.run_id == run.id))
            assert scored == active
        tasks = session.execute(select(Task.run_id, Task.status, Task.due_date, User.active,
                                       User.role)
                                .outerjoin(User, Task.assignee_id == User.id)).all()
    by_run = {run.id: run.as_of for run in runs}
    assert {t.run_id for t in tasks} <= set(by_run) and runs[0].id in {t.run_id for t in tasks}
    # Tasks fall due after their own run (not after the day the demo ran).
    assert all(by_run[t.run_id] < t.due_date < by_run[t.run_id] + dt.timedelta(days=60)
               for t in tasks)
    assert all(t.active is not False for t in tasks)
    assert {t.role for t in tasks} >= {"rep", "manager", "staff"}  # staff: the marketing team
    lines = result.output.splitlines()
    first, second = (next(l for l in lines if l.startswith(f"  run {run.id} ")) for run in runs[:2])
    assert f"as of {quarters[0]}:" in first and first.endswith("first classification")
    assert f"as of {quarters[1]}:" in second and "changed segment" in second
    assert any(l.startswith(f"  tasks      {len(tasks)} created") for l in lines)
    assert any(l.startswith("    by assignee  ") for l in lines)


def test_reps_follow_the_sop_as_their_habit_says(demo, engine):
    assert demo("--customers", 60, "--as-of", AS_OF).exit_code == 0
    with Session(engine) as session:
        rows = session.execute(select(User.username, Task.status)
                               .join(User, User.id == Task.assignee_id)
                               .where(Task.due_date < AS_OF)).all()
    share = {}
    for habit in SOP_HABITS:
        statuses = [status for username, status in rows if sop_habit(username) == habit]
        share[habit] = sum(status == "done" for status in statuses) / max(1, len(statuses))
    assert share["diligent"] > share["average"] > share["lax"]
    assert share["diligent"] > 0.7 and share["lax"] < 0.45


def test_demo_twice_changes_nothing(demo, engine):
    assert demo("--customers", 40, "--as-of", AS_OF).exit_code == 0
    before = stored(engine)
    with Session(engine) as session:
        tasks = session.scalar(select(func.count()).select_from(Task))
    again = demo("--customers", 40, "--as-of", AS_OF)
    assert again.exit_code == 0, again.output
    assert stored(engine) == before
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Task)) == tasks
        assert session.scalar(select(func.count()).select_from(EvaluationRun)) == 9
    assert "0 changed segment" in again.output and "tasks      none created" in again.output
    rows = sum(before.values()) - 1
    assert f"imported   {rows:,} rows: 0 added, 0 changed, {rows:,} unchanged" in again.output
    assert "sign in as admin with the password you set" in again.output


def test_demo_runs_as_of_today_in_the_configured_time_zone(demo, engine, monkeypatch):
    monkeypatch.setenv("KAMFLOW_TIMEZONE", "Pacific/Kiritimati")
    result = demo("--customers", 5, "--seed", 3)
    assert result.exit_code == 0, result.output
    day = today("Pacific/Kiritimati")
    assert f"as of {day}" in result.output
    with Session(engine) as session:
        last = session.scalar(select(func.max(Order.date)))
    assert last < day


def test_demo_refuses_a_silly_size(demo, engine):
    result = demo("--customers", 0)
    assert result.exit_code == 2 and "--customers" in result.output


def test_demo_serves_the_web_app_unless_told_not_to(engine, monkeypatch):
    served = []
    # Serving is gunicorn (web.serving.serve); tests/test_web_cli.py runs it as a real process.
    monkeypatch.setattr("web.serving.serve",
                        lambda *args, **options: served.append((*args, options)))
    result = CliRunner().invoke(cli, ["demo", "--customers", "5", "--as-of", str(AS_OF),
                                      "--port", "5123", "--workers", "3"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    # gunicorn with three workers, and the job worker beside it.
    assert served == [("127.0.0.1", 5123, 3, False, {"job_worker": True})]
    assert "open http://127.0.0.1:5123/" in result.output
