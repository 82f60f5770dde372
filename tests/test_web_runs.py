"""``/runs`` and ``/jobs``: the run history, a run's matrix limited to the viewer's customers,
"run now" and "dry run" as jobs that a worker runs, and the job page that follows them."""
from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import func, select, update

from engine.db import transaction
from engine.jobs.worker import WorkerSettings, work
from engine.models import EvaluationRun, Job
from web_support import app, make_app, post_form, sign_in, text  # noqa: F401  (fixtures)
from web_world import PASSWORD, RULESET, _world_snapshot, world  # noqa: F401  (fixtures)


def _client(app, username: str):
    client = app.test_client()
    assert sign_in(client, username, PASSWORD).status_code == 302
    return client


def _jobs(engine) -> int:
    with transaction(engine) as session:
        return session.scalar(select(func.count()).select_from(Job))


def test_the_history_lists_runs_and_only_admins_may_start_one(app, world):
    admin = text(_client(app, "admin").get("/runs"))
    assert f'href="/runs/{world.run_id}"' in admin and 'action="/runs/evaluate"' in admin
    # The form offers the ruleset by its title in the reader's language (zh), its id the value.
    assert '<option value="value_potential">价值-潜力双轴模型</option>' in admin
    assert "价值-潜力双轴模型" in text(_client(app, "admin").get(f"/runs/{world.run_id}"))
    manager = _client(app, "m1").get("/runs")
    assert manager.status_code == 200 and 'action="/runs/evaluate"' not in text(manager)
    assert _client(app, "r1").get("/runs").status_code == 403


def test_a_run_page_counts_only_the_viewers_customers(app, world):
    def total(username):
        page = text(_client(app, username).get(f"/runs/{world.run_id}"))
        return int(re.search(r'<tfoot>.*?<td>(\d+)</td></tr></tfoot>', page, re.S).group(1))

    assert total("admin") == 2          # C1 and C2 (C3 is inactive, out of scope)
    assert total("m1") == 1             # the east team's C1
    assert total("m2") == 1


def test_a_failed_run_shows_its_error(app, world, engine):
    with transaction(engine) as session:
        session.execute(update(EvaluationRun).values(status="failed", error="metric <b> broke"))
    page = text(_client(app, "admin").get(f"/runs/{world.run_id}"))
    assert "metric &lt;b&gt; broke" in page and "Where customers came from" not in page


def test_run_now_is_a_job_that_a_worker_runs(app, world, engine):
    client = _client(app, "admin")
    runs_before = len(_runs(engine))
    response = post_form(client, "/runs/evaluate",
                         {"ruleset": RULESET, "as_of": "2026-12-31", "mode": "evaluate"})
    assert response.status_code == 303
    job_id = int(response.headers["Location"].rsplit("/", 1)[1])
    waiting = text(client.get(f"/jobs/{job_id}"))
    assert 'hx-trigger="every 1s"' in waiting and "等待" in waiting
    assert work(engine, threading.Event(), WorkerSettings(), once=True) >= 1
    done = text(client.get(f"/jobs/{job_id}/status"))
    assert "hx-trigger" not in done
    run = _runs(engine)[-1]
    assert len(_runs(engine)) == runs_before + 1 and run.tick_key == f"job:{job_id}"
    assert f'href="/runs/{run.id}"' in done


def test_a_dry_run_stores_nothing_and_shows_the_counts(app, world, engine):
    client = _client(app, "admin")
    runs_before = len(_runs(engine))
    response = post_form(client, "/runs/evaluate", {"ruleset": RULESET, "mode": "dry_run"})
    job_id = int(response.headers["Location"].rsplit("/", 1)[1])
    work(engine, threading.Event(), WorkerSettings(), once=True)
    page = text(client.get(f"/jobs/{job_id}"))
    assert len(_runs(engine)) == runs_before
    # Segments by their labels in the reader's language (zh by default), not their ids.
    assert re.search(r"<td>(金牛客户|明星客户|问题客户|瘦狗客户)</td><td>\d+</td>", page)
    assert "<td>star</td>" not in page


@pytest.mark.parametrize("data, message", [
    ({"ruleset": RULESET, "as_of": "2026-02-30", "mode": "evaluate"}, "Not a valid date"),
    ({"ruleset": "nope", "mode": "evaluate"}, "Not a valid choice"),
    ({"ruleset": RULESET, "mode": "delete_everything"}, "Not a valid choice"),
])
def test_a_bad_run_request_is_refused_at_the_field_and_starts_nothing(app, world, engine,
                                                                      data, message):
    before = _jobs(engine)
    client = _client(app, "admin")
    client.post("/language", data={"locale": "en", "next": "/"})     # not CSRF-checked here
    response = post_form(client, "/runs/evaluate", data, page="/runs")
    assert response.status_code == 400
    page = text(response)
    assert 'aria-invalid="true"' in page or "field-errors" in page
    assert _jobs(engine) == before


def test_a_post_without_the_csrf_token_starts_nothing(app, world, engine):
    before = _jobs(engine)
    response = _client(app, "admin").post("/runs/evaluate",
                                          data={"ruleset": RULESET, "mode": "evaluate"})
    assert response.status_code == 400 and _jobs(engine) == before


def test_somebody_elses_job_is_not_found(app, world):
    assert _client(app, "r1").get(f"/jobs/{world.jobs['r2']}").status_code == 404
    assert _client(app, "r1").get(f"/jobs/{world.jobs['r1']}").status_code == 200
    assert _client(app, "admin").get(f"/jobs/{world.jobs['r2']}").status_code == 200


def test_a_failed_job_shows_its_error_as_text(app, world, engine):
    with transaction(engine) as session:
        session.execute(update(Job).where(Job.id == world.jobs["admin"])
                        .values(status="failed", error="<script>alert(1)</script>"))
    page = text(_client(app, "admin").get(f"/jobs/{world.jobs['admin']}"))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page


def _runs(engine) -> list[EvaluationRun]:
    with transaction(engine) as session:
        return list(session.scalars(select(EvaluationRun).order_by(EvaluationRun.id)))
