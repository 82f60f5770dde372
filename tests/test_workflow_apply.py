"""``apply_run``: the moves SPEC §3.4 "Exactly" fixes, on hand-built runs."""
from __future__ import annotations

import datetime as dt

import pytest

from engine.errors import Conflict, NotFound
from engine.tasks import start_task
from engine.workflows import apply_run
from tests.workflow_support import (LOCAL_START, RUN_START, add_customer, add_user, assignees,
                                    install, notifications, state_of, store_run, summary,
                                    tasks_of, template, workflow)

LATER = RUN_START + dt.timedelta(days=90)


@pytest.fixture
def people(session):
    add_user(session, "admin", "admin")
    add_user(session, "rep1", "rep", seniority="senior", team="north", locale="zh")
    add_user(session, "rep2", "rep", seniority="junior", team="north")
    session.commit()


def setup(engine, session, tmp_path, *workflows, customers=("C1",)):
    session.commit()
    install(engine, tmp_path / "pack", *workflows)
    for code in customers:
        add_customer(session, code, "rep1")
    session.commit()


def test_first_classification_creates_only_on_enter_tasks(engine, session, tmp_path, people):
    wf = workflow(on_enter={"a": ["plan_a", "visit_a"], "b": ["call_b"]},
                  on_transition=[{"from": "*", "to": "*", "tasks": ["move_review"]}],
                  tasks={"plan_a": template("plan", due_in_days=14),
                         "visit_a": template("visit", every_days=7),
                         "call_b": template("call", every_days=30),
                         "move_review": template("review")})
    setup(engine, session, tmp_path, wf, customers=("C1", "C2", "C3"))
    run = store_run(engine, {"C1": "a", "C2": "b"})
    report = apply_run(engine, run)
    assert [(t.customer.code, t.template, t.segment, t.previous_segment, t.due_date)
            for t in tasks_of(session)] == [
        ("C1", "plan_a", "a", "unclassified", LOCAL_START + dt.timedelta(days=14)),
        ("C1", "visit_a", "a", "unclassified", LOCAL_START + dt.timedelta(days=7)),
        ("C2", "call_b", "b", "unclassified", LOCAL_START + dt.timedelta(days=30))]
    assert [t.recurring for t in tasks_of(session)] == [False, True, True]
    assert {t.run_id for t in tasks_of(session)} == {run}
    assert (state_of(session, "C1"), state_of(session, "C2"), state_of(session, "C3")) == (
        "a", "b", None)
    assert report.moved == 2 and report.created == 3
    assert report.workflows[0].moves == {("unclassified", "a"): 1, ("unclassified", "b"): 1}


def test_due_dates_count_from_the_run_start_in_the_configured_time_zone(
        engine, session, tmp_path, people, monkeypatch):
    monkeypatch.setenv("KAMFLOW_TIMEZONE", "UTC")
    wf = workflow(on_enter={"a": ["plan_a"]}, tasks={"plan_a": template(due_in_days=3)})
    setup(engine, session, tmp_path, wf)
    apply_run(engine, store_run(engine, {"C1": "a"}))
    assert tasks_of(session)[0].due_date == dt.date(2026, 3, 4)   # 2026-03-01 in UTC + 3


def test_titles_are_rendered_for_every_locale(engine, session, tmp_path, people):
    wf = workflow(on_enter={"a": ["visit", "note", "field"]}, tasks={
        "visit": template(title={"en": "Visit {{ customer.name }} ({{ previous_segment }} → "
                                       "{{ segment }}, scale {{ scores.scale }})",
                                 "zh": "拜访{{ customer.name }}({{ customer.owner }})"}),
        "note": template(title="Note for {{ customer.code }}"),
        "field": template(title="Speciality: {{ customer.speciality }}")})
    install(engine, tmp_path / "pack", wf)
    add_customer(session, "C1", "rep1", name="协和", speciality="cardiology")
    add_customer(session, "C2", "rep1", name="Mercy")
    session.commit()
    report = apply_run(engine, store_run(engine, {"C1": "a", "C2": "a"}))
    titles = [t.title for t in tasks_of(session)]
    assert titles[:3] == [{"en": "Visit 协和 (unclassified → a, scale 50.0)",
                           "zh": "拜访协和(rep1)"},
                          {"": "Note for C1"}, {"": "Speciality: cardiology"}]
    # A title that cannot be rendered for one customer keeps its template; the task stays.
    assert titles[5] == {"": "Speciality: {{ customer.speciality }}"}
    assert report.workflows[0].title_failures == 1


def test_a_move_cancels_old_recurring_tasks_keeps_one_offs_and_in_progress(
        engine, session, tmp_path, people):
    wf = workflow(on_enter={"a": ["plan_a", "visit_a", "report_a"], "b": ["call_b"]},
                  tasks={"plan_a": template("plan"), "visit_a": template(every_days=7),
                         "report_a": template("review", every_days=30),
                         "call_b": template("call", every_days=14)})
    setup(engine, session, tmp_path, wf)
    apply_run(engine, store_run(engine, {"C1": "a"}))
    report_a = tasks_of(session, template="report_a")[0]
    start_task(session, report_a.id, "rep1")
    session.commit()
    second = store_run(engine, {"C1": "b"}, started_at=LATER)
    report = apply_run(engine, second)
    assert summary(tasks_of(session)) == [
        ("plan_a", "a", "open"), ("visit_a", "a", "cancelled"),
        ("report_a", "a", "in_progress"), ("call_b", "b", "open")]
    cancelled = tasks_of(session, template="visit_a")[0]
    assert cancelled.cancel_reason == f"customer moved from a to b (run {second})"
    assert cancelled.cancelled_at is not None
    assert tasks_of(session, template="call_b")[0].previous_segment == "a"
    assert report.cancelled == 1


def test_an_open_occurrence_of_a_template_the_move_creates_is_kept(
        engine, session, tmp_path, people):
    wf = workflow(on_enter={"a": ["visit", "call"], "b": ["extra", "visit"],
                            "c": ["visit", "call"]},
                  tasks={"visit": template(every_days=7), "call": template(every_days=30),
                         "extra": template("plan")})
    setup(engine, session, tmp_path, wf, customers=("C1", "C2"))
    apply_run(engine, store_run(engine, {"C1": "a", "C2": "a"}))
    in_progress = tasks_of(session, "C2", template="visit")[0]
    start_task(session, in_progress.id, "rep1")
    session.commit()
    report = apply_run(engine, store_run(engine, {"C1": "b", "C2": "b"}, started_at=LATER))
    for code in ("C1", "C2"):
        assert summary(tasks_of(session, code)) == [
            ("visit", "b", "in_progress" if code == "C2" else "open"), ("call", "a", "cancelled"),
            ("extra", "b", "open")]
    assert report.workflows[0].kept == 2 and report.workflows[0].not_created_open == 2
    # Back to a segment that also has it: still one open occurrence, now belonging to c.
    apply_run(engine, store_run(engine, {"C1": "c"}, started_at=LATER + dt.timedelta(days=90)))
    assert summary(tasks_of(session, "C1", status="open")) == [
        ("visit", "c", "open"), ("extra", "b", "open"), ("call", "c", "open")]


def test_on_transition_lists_star_and_unclassified_in_order(engine, session, tmp_path, people):
    names = ("t1", "t2", "t3", "t4", "welcome", "enter_a")
    wf = workflow(on_enter={"a": ["enter_a"], "c": ["t2", "t4"]},
                  on_transition=[{"from": ["a", "b"], "to": "c", "tasks": ["t1", "t2"]},
                                 {"from": "*", "to": "*", "tasks": ["t3", "t1"]},
                                 {"from": "unclassified", "to": ["a"], "tasks": ["welcome"]},
                                 {"from": "b", "to": "c", "tasks": ["t4"]}],
                  tasks={n: template("plan") for n in names})
    setup(engine, session, tmp_path, wf, customers=("C1", "C2"))
    apply_run(engine, store_run(engine, {"C1": "a", "C2": "c"}))
    assert [t.template for t in tasks_of(session, "C1")] == ["welcome", "enter_a"]
    assert [t.template for t in tasks_of(session, "C2")] == ["t2", "t4"]
    apply_run(engine, store_run(engine, {"C1": "c", "C2": "c"}, started_at=LATER))
    assert [t.template for t in tasks_of(session, "C1")][2:] == ["t1", "t2", "t3", "t4"]
    assert len(tasks_of(session, "C2")) == 2


def test_leaving_the_scope_goes_back_to_unclassified(engine, session, tmp_path, people):
    wf = workflow(on_enter={"a": ["visit", "plan"]},
                  on_transition=[{"from": "*", "to": "unclassified", "tasks": ["lost"]},
                                 {"from": "unclassified", "to": "*", "tasks": ["welcome"]}],
                  tasks={"visit": template(every_days=7), "plan": template("plan"),
                         "lost": template("review"), "welcome": template("support")})
    setup(engine, session, tmp_path, wf, customers=("C1", "C2"))
    apply_run(engine, store_run(engine, {"C1": "a", "C2": "a"}))
    report = apply_run(engine, store_run(engine, {"C2": "a"}, started_at=LATER))
    assert state_of(session, "C1") == "unclassified"
    assert summary(tasks_of(session, "C1")) == [
        ("welcome", "a", "open"), ("visit", "a", "cancelled"), ("plan", "a", "open"),
        ("lost", "unclassified", "open")]
    assert report.workflows[0].moves == {("a", "unclassified"): 1}
    # Coming back is a first classification again, with a new occurrence of the visit.
    apply_run(engine, store_run(engine, {"C1": "a", "C2": "a"},
                                started_at=LATER + dt.timedelta(days=90)))
    assert [t.template for t in tasks_of(session, "C1", status="open")] == [
        "welcome", "plan", "lost", "welcome", "visit", "plan"]
    assert len(tasks_of(session, "C2")) == 3


def test_customers_go_in_code_point_order(engine, session, tmp_path, people):
    add_user(session, "x", "staff", team="field")
    add_user(session, "y", "staff", team="field")
    wf = workflow(on_enter={"a": ["visit"]},
                  tasks={"visit": template(assignee={"team": "field"})})
    # Code points: 'B' < '_' < 'a' < 'b' < '中' (a database collation may order them otherwise).
    setup(engine, session, tmp_path, wf, customers=("b", "中", "a", "_", "B"))
    apply_run(engine, store_run(engine, {c: "a" for c in ("b", "中", "a", "_", "B")}))
    assert assignees(session) == {"B": "x", "_": "y", "a": "x", "b": "y", "中": "x"}
    assert [t.customer.code for t in tasks_of(session)] == ["B", "_", "a", "b", "中"]


def test_workflows_go_in_id_order_and_share_open_task_counts(engine, session, tmp_path, people):
    add_user(session, "x", "staff", team="field")
    add_user(session, "y", "staff", team="field")
    tasks = {"visit": template(assignee={"team": "field"})}
    setup(engine, session, tmp_path,
          workflow(on_enter={"a": ["visit"]}, tasks=tasks, workflow_id="zeta"),
          workflow(on_enter={"a": ["visit"]}, tasks=tasks, workflow_id="alpha"))
    report = apply_run(engine, store_run(engine, {"C1": "a"}))
    assert [w.workflow_id for w in report.workflows] == ["alpha", "zeta"]
    assert {t.workflow_id: t.assignee.username for t in tasks_of(session)} == {
        "alpha": "x", "zeta": "y"}


def test_notifications_for_moves_assignees_and_unassigned_tasks(engine, session, tmp_path,
                                                                people):
    wf = workflow(on_enter={"a": ["visit", "orphan"], "b": ["visit"]},
                  tasks={"visit": template(every_days=7),
                         "orphan": template("plan", assignee={"role": "manager",
                                                              "team": "nobody"})})
    setup(engine, session, tmp_path, wf, customers=("C1", "C2"))
    run = store_run(engine, {"C1": "a", "C2": "b"})
    apply_run(engine, run)
    changed = notifications(session, "segment.changed")
    assert [(n.user.username, n.subject, n.payload["from"], n.payload["to"])
            for n in changed] == [("rep1", "Clinic C1(C1):未分类 → 甲", "unclassified", "a"),
                                  ("rep1", "Clinic C2(C2):未分类 → 乙", "unclassified", "b")]
    assigned = notifications(session, "task.assigned")
    assert [(n.user.username, n.payload["count"], n.subject) for n in assigned] == [
        ("rep1", 2, "关怀:2 项新任务")]
    unassigned = notifications(session, "task.unassigned")
    assert [(n.user_id, n.payload["count"]) for n in unassigned] == [(None, 1)]
    assert unassigned[0].payload["tasks"][0]["customer_code"] == "C1"
    assert {(n.email_status, n.webhook_status) for n in notifications(session)} == {(None, None)}


def test_an_unchanged_segment_creates_nothing(engine, session, tmp_path, people):
    wf = workflow(on_enter={"a": ["visit"]}, tasks={"visit": template(every_days=7)})
    setup(engine, session, tmp_path, wf)
    apply_run(engine, store_run(engine, {"C1": "a"}))
    report = apply_run(engine, store_run(engine, {"C1": "a"}, started_at=LATER))
    assert report.moved == 0 and report.created == 0
    assert len(tasks_of(session)) == 1


def test_failed_older_and_unknown_runs_are_refused(engine, session, tmp_path, people):
    wf = workflow(on_enter={"a": ["visit"]}, tasks={"visit": template()})
    setup(engine, session, tmp_path, wf)
    failed = store_run(engine, {"C1": "a"}, status="failed")
    with pytest.raises(Conflict, match=f"evaluation run {failed} failed"):
        apply_run(engine, failed)
    older = store_run(engine, {"C1": "b"})
    newer = store_run(engine, {"C1": "a"}, started_at=LATER)
    apply_run(engine, newer)
    with pytest.raises(Conflict, match=f"workflow care already follows run {newer}, newer "
                                       f"than run {older}"):
        apply_run(engine, older)
    with pytest.raises(NotFound, match="no evaluation run 999"):
        apply_run(engine, 999)
    assert state_of(session, "C1") == "a"
