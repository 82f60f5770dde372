"""Applying a run twice, or again after a failure half-way, creates nothing twice; a failure
writes nothing of the run's moves."""
from __future__ import annotations

import pytest
from sqlalchemy import delete, select

from engine.models import WorkflowState
from engine.workflows import apply_run
from engine.workflows.application import WorkflowApplication
from engine.workflows.writes import BatchWrites
from tests.workflow_support import (add_customer, add_user, fresh, install, notifications,
                                    store_run, tasks_of, template, workflow)

CODES = ("K1", "K2", "K3", "K4", "K5", "K6", "K7")
# Seven customers, two tasks each, shared by x and y by load then name: x y x y …
EXPECTED = {(code, name): ("x", "y")[(2 * i + j) % 2]
            for i, code in enumerate(CODES) for j, name in enumerate(("visit", "plan"))}


class InjectedFailure(RuntimeError):
    pass


@pytest.fixture
def run_id(engine, session, tmp_path):
    add_user(session, "admin", "admin")
    add_user(session, "x", "staff", team="field")
    add_user(session, "y", "staff", team="field")
    session.commit()
    wf = workflow(on_enter={"a": ["visit", "plan"]},
                  tasks={"visit": template(every_days=7, assignee={"team": "field"}),
                         "plan": template("plan", assignee={"team": "field"})})
    install(engine, tmp_path / "pack", wf)
    for code in CODES:
        add_customer(session, code, None)
    session.commit()
    return store_run(engine, {code: "a" for code in CODES})


def outcome(session) -> dict:
    return {(t.customer.code, t.template): t.assignee.username for t in tasks_of(session)}


def test_applying_a_run_twice_creates_nothing_twice(engine, session, run_id):
    first = apply_run(engine, run_id)
    second = apply_run(engine, run_id)
    assert (first.created, second.created, second.moved) == (14, 0, 0)
    assert outcome(session) == EXPECTED
    assert len(notifications(session, "task.assigned")) == 2
    assert len(notifications(session, "segment.changed")) == 7


def test_a_failure_between_batches_writes_nothing_then_a_rerun(engine, session, run_id,
                                                                monkeypatch):
    flush, calls = BatchWrites.flush, []

    def failing_flush(self, connection):
        calls.append(len(self.tasks))
        if len(calls) == 2:
            raise InjectedFailure("disk full")
        flush(self, connection)

    monkeypatch.setattr(BatchWrites, "flush", failing_flush)
    with pytest.raises(InjectedFailure):
        apply_run(engine, run_id, batch_size=3)
    assert tasks_of(session) == [] and notifications(session, "task.assigned") == []
    assert session.scalars(select(WorkflowState)).all() == []
    monkeypatch.undo()
    resumed = apply_run(engine, run_id, batch_size=3)
    assert resumed.moved == 7 and resumed.created == 14
    assert outcome(session) == EXPECTED
    # The digest covers the whole run, once.
    assert sorted(n.payload["count"] for n in notifications(session, "task.assigned")) == [7, 7]


def test_a_failure_in_the_middle_of_a_batch_writes_none_of_it(engine, session, run_id,
                                                              monkeypatch):
    record_move = WorkflowApplication.record_move

    def failing(self, event):
        if event.model.data.mover.customer["code"] == "K5":
            raise InjectedFailure("crash while moving K5")
        record_move(self, event)

    monkeypatch.setattr(WorkflowApplication, "record_move", failing)
    with pytest.raises(InjectedFailure):
        apply_run(engine, run_id, batch_size=4)
    assert tasks_of(session) == []
    monkeypatch.undo()
    apply_run(engine, run_id, batch_size=4)
    assert outcome(session) == EXPECTED


def test_the_unique_key_stops_a_second_copy_even_if_states_were_lost(engine, session, run_id):
    apply_run(engine, run_id)
    session.execute(delete(WorkflowState))
    fresh(session)
    again = apply_run(engine, run_id)
    assert again.moved == 7
    assert len(tasks_of(session)) == 14 and outcome(session) == EXPECTED
