"""``kamflow tasks list|done`` and ``kamflow override set|clear`` as a user runs them."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from engine.cli.workflow_cmds import override, tasks
from engine.models import AuditEntry, SegmentOverride
from engine.tasks import cancel_task, start_task
from engine.workflows import apply_run
from tests.workflow_support import (LOCAL_START, add_customer, add_user, fresh, install,
                                    store_run, tasks_of, template, workflow)


@pytest.fixture
def run(engine):
    runner = CliRunner()

    def invoke(group, *args):
        return runner.invoke(group, [str(a) for a in args], catch_exceptions=False)

    return invoke


@pytest.fixture
def classified(engine, session, tmp_path):
    add_user(session, "admin", "admin")
    add_user(session, "rep1", "rep", team="north")
    add_user(session, "rep2", "rep", team="north")
    session.commit()
    wf = workflow(on_enter={"a": ["visit", "plan"], "b": ["plan"]},
                  tasks={"visit": template(title={"en": "Visit {{ customer.name }}",
                                                  "zh": "拜访{{ customer.name }}"},
                                           every_days=7),
                         "plan": template("plan", title="Plan, \"{{ customer.code }}\"",
                                          due_in_days=3, assignee={"role": "admin",
                                                                   "team": "x"})})
    install(engine, tmp_path / "pack", wf)
    add_customer(session, "C1", "rep1", name="协和")
    add_customer(session, "C2", "rep2", name="Mercy")
    session.commit()
    run_id = store_run(engine, {"C1": "a", "C2": "b"})
    apply_run(engine, run_id)
    return run_id


def test_list_csv_has_every_field_and_status_by_default(run, session, classified):
    visit = tasks_of(session, "C1", template="visit")[0]
    cancel_task(session, tasks_of(session, "C2")[0].id, "admin", "not needed")
    session.commit()
    result = run(tasks, "list", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.output)))
    assert rows[0] == ["id", "customer_code", "workflow", "template", "segment",
                       "previous_segment", "title", "kind", "recurring", "assignee", "status",
                       "due_date", "run_id"]
    due = (LOCAL_START + dt.timedelta(days=3)).isoformat()
    assert rows[1:] == [
        ["2", "C1", "care", "plan", "a", "unclassified", 'Plan, "C1"', "plan", "false", "",
         "open", due, str(classified)],
        ["3", "C2", "care", "plan", "b", "unclassified", 'Plan, "C2"', "plan", "false", "",
         "cancelled", due, str(classified)],
        [str(visit.id), "C1", "care", "visit", "a", "unclassified", "Visit 协和", "visit",
         "true", "rep1", "open", (LOCAL_START + dt.timedelta(days=7)).isoformat(),
         str(classified)]]


def test_list_filters_and_json(run, session, classified):
    start_task(session, 1, "rep1")
    session.commit()
    result = run(tasks, "list", "--assignee", "rep1", "--status", "in_progress", "--format",
                 "json", "--locale", "zh")
    records = json.loads(result.output)
    assert [(r["id"], r["title"], r["status"], r["recurring"], r["due_date"])
            for r in records] == [(1, "拜访协和", "in_progress", True,
                                   (LOCAL_START + dt.timedelta(days=7)).isoformat())]
    assert json.loads(run(tasks, "list", "--assignee", "rep2", "--format", "json")
                      .output) == []
    # Due in March 2026: long overdue by today.
    overdue = run(tasks, "list", "--overdue", "--format", "csv").output.splitlines()
    assert len(overdue) == 4
    table = run(tasks, "list").output.splitlines()
    assert table[0].split() == ["id", "customer_code", "workflow", "template", "segment",
                                "previous_segment", "title", "kind", "recurring", "assignee",
                                "status", "due_date", "run_id"]
    assert len(table) == 4


def test_list_refuses_unknown_people_and_statuses(run, classified):
    unknown = run(tasks, "list", "--assignee", "rep3")
    assert unknown.exit_code == 1
    assert "no user 'rep3' (did you mean 'rep2'?)" in unknown.output
    assert run(tasks, "list", "--status", "closed").exit_code == 2


def test_done_completes_records_the_visit_and_the_next_occurrence(run, session, classified):
    result = run(tasks, "done", 1, "--note", "met the director")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "task 1 done"
    assert lines[1].startswith("visit task-1 recorded on ")
    assert lines[2].startswith("next occurrence: task 4 due ")
    done = tasks_of(session, "C1", template="visit")[0]
    assert (done.status, done.note, done.completed_by.startswith("cli")) == (
        "done", "met the director", True)
    again = run(tasks, "done", 1)
    assert again.exit_code == 1
    assert "error: task 1 is done; only open, in_progress tasks can be completed" in again.output
    assert run(tasks, "done", 99).exit_code == 1


def test_override_set_and_clear(run, session, classified):
    until = (dt.date.today() + dt.timedelta(days=60)).isoformat()
    result = run(override, "set", "C2", "a", "--until", until, "--reason", "strategic")
    assert result.exit_code == 0, result.output
    assert result.output == f"C2 is a in tiers until {until} from the next run\n"
    fresh(session)
    pinned = session.scalars(select(SegmentOverride)).one()
    assert (pinned.status, pinned.reason, pinned.requested_by.startswith("cli")) == (
        "approved", "strategic", True)
    bad = run(override, "set", "C2", "z", "--until", until, "--reason", "x")
    assert bad.exit_code == 1 and "unknown segment 'z'" in bad.output
    assert run(override, "set", "C2", "a", "--until", "soon", "--reason", "x").exit_code == 2
    assert run(override, "set", "C2", "a", "--reason", "x").exit_code == 2
    cleared = run(override, "clear", "C2", "--ruleset", "tiers")
    assert cleared.output == "C2: override in tiers cleared from the next run\n"
    assert run(override, "clear", "C2").exit_code == 1
    fresh(session)
    assert [e.action for e in session.scalars(select(AuditEntry).where(
        AuditEntry.object_type == "segment_override").order_by(AuditEntry.id))] == [
        "override.set", "override.clear"]
