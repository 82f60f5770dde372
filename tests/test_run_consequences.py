"""A run is completed only together with its consequences (scores, workflow moves, tasks,
notifications); a failure keeps only its failure; a process killed anywhere leaves nothing,
and running the same command again completes the run as if nothing had happened."""
from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.evaluation import evaluate
from engine.models import EvaluationRun, Notification, Task
from engine.runs import evaluate_and_follow
from engine.workflows.application import WorkflowApplication
from tests.concurrency_support import (found_company, picture, run, stored_counts,
                                        twin_companies)

CUSTOMERS = 3000            # two batches of workflow moves (BATCH_SIZE 2000)
AS_OF = dt.date(2026, 1, 1)
ARGS = ("evaluate", "value_potential", "--as-of", AS_OF.isoformat())


class InjectedFailure(RuntimeError):
    pass


def assert_every_task_in_one_digest(engine) -> None:
    """Each created task is counted in the digest of its (workflow, run, assignee) — the
    admins' for unassigned tasks — and each such digest exists once."""
    with Session(engine) as session:
        digests = session.scalars(select(Notification).where(
            Notification.kind.in_(("task.assigned", "task.unassigned")))).all()
        tasks = session.execute(select(Task.workflow_id, Task.run_id, Task.assignee_id)).all()
    keys = Counter((n.payload["workflow_id"], n.payload["run_id"], n.user_id) for n in digests)
    assert set(keys.values()) == {1}
    counted = {(n.payload["workflow_id"], n.payload["run_id"], n.user_id): n.payload["count"]
               for n in digests}
    assert counted == dict(Counter(map(tuple, tasks)))


@pytest.fixture
def twins(engine, backend, database_url, tmp_path):
    with twin_companies(engine, backend, database_url, tmp_path, CUSTOMERS) as pair:
        yield pair


@pytest.mark.parametrize("point", ["run.scores_stored", "workflows.batch_written"])
def test_a_killed_evaluation_leaves_nothing_and_the_cli_completes_it(twins, point):
    killed, untouched = twins
    empty = stored_counts(killed)
    result = run(killed, *ARGS, KAMFLOW_FAILPOINT=point)
    assert result.returncode == -9, result.stderr
    assert stored_counts(killed) == empty
    again = run(killed, *ARGS)
    assert again.returncode == 0, again.stderr
    assert run(untouched, *ARGS).returncode == 0
    assert picture(killed) == picture(untouched)
    assert_every_task_in_one_digest(killed)


@pytest.fixture
def company(engine):
    found_company(engine, 60)
    return engine


def test_a_failure_while_applying_the_workflows_keeps_only_the_failed_run(company, monkeypatch):
    record_move = WorkflowApplication.record_move
    moved = []

    def failing(self, event):
        moved.append(event)
        if len(moved) == 30:
            raise InjectedFailure("the disk is full")
        record_move(self, event)

    monkeypatch.setattr(WorkflowApplication, "record_move", failing)
    with pytest.raises(InjectedFailure):
        evaluate_and_follow(company, "value_potential", AS_OF)
    assert stored_counts(company) == {"evaluation_runs": 1, "customer_scores": 0, "tasks": 0,
                                      "workflow_states": 0, "notifications": 0}
    with Session(company) as session:
        [failed] = session.scalars(select(EvaluationRun)).all()
    assert (failed.status, failed.error) == ("failed", "InjectedFailure: the disk is full")
    monkeypatch.undo()
    followed = evaluate_and_follow(company, "value_potential", AS_OF)
    assert followed.workflows.created > 60
    with Session(company) as session:
        statuses = session.scalars(select(EvaluationRun.status).order_by(EvaluationRun.id))
        assert list(statuses) == ["failed", "completed"]
    assert_every_task_in_one_digest(company)


def test_a_run_is_completed_only_after_its_hooks(company):
    seen = []

    def hook(session, result):
        seen.append(session.get(EvaluationRun, result.run_id).status)

    result = evaluate(company, "value_potential", as_of=AS_OF, after_store=[hook])
    with Session(company) as session:
        assert session.get(EvaluationRun, result.run_id).status == "completed"
    assert seen == ["running"]
