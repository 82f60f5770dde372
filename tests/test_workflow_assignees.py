"""Assignee resolution exactly as SPEC §3.4 says, and open-task counts during a run."""
from __future__ import annotations

import datetime as dt

import pytest

from engine.definitions.workflow_specs import Assignee
from engine.tasks.assignees import (OpenTaskCounts, Staff, StaffMember, TemplateAssigner,
                                    lookup_condition)
from engine.workflows import apply_run
from tests.workflow_support import (RUN_START, add_customer, add_user, assignees, install,
                                    notifications, store_run, template, workflow)


def member(id, username, role="rep", seniority="regular", team="north", manager_id=None,
           active=True):
    return StaffMember(id, username, role, seniority, team, manager_id, active, "en")


STAFF = Staff([
    member(1, "boss", "manager", "senior", "north"),
    member(2, "owner", "rep", "junior", "north", manager_id=1),
    member(3, "zoe", "rep", "senior", "north", manager_id=1),
    member(4, "Yann", "rep", "senior", "south"),         # 'Y' < 'z' < 'a' in code points
    member(5, "amy", "rep", "senior", "north", manager_id=1),
    member(6, "gone", "rep", "senior", "north", active=False),
    member(7, "mkt", "staff", None, "marketing"),
    member(8, "mkt2", "staff", None, "marketing"),
    member(9, "senior_owner", "rep", "senior", "south", manager_id=10),
    member(10, "old_boss", "manager", "senior", "south", active=False),
    member(11, "loner", "rep", "senior", None),
])


def resolve(rule: Assignee, owner_id, counts=None):
    chosen = TemplateAssigner(rule, STAFF, OpenTaskCounts(counts or {})).resolve(owner_id)
    return chosen.username if chosen else None


def test_without_a_rule_or_with_prefer_owner_alone_the_owner_if_active():
    for rule in (Assignee(), Assignee(prefer_owner=True)):
        assert resolve(rule, 2) == "owner"
        assert resolve(rule, 6) is None         # inactive owner: unassigned
        assert resolve(rule, None) is None      # no owner


def test_prefer_owner_picks_the_owner_when_a_candidate():
    rule = Assignee(prefer_owner=True, role="rep", min_seniority="senior")
    assert resolve(rule, 9) == "senior_owner"
    # A junior owner is no candidate: the owner's team first, fewest open tasks, then name.
    assert resolve(rule, 2) == "amy"
    assert resolve(rule, 2, {5: 2, 3: 1}) == "zoe"
    assert resolve(rule, 2, {5: 1, 3: 1}) == "amy"


def test_candidates_from_the_owners_team_come_first():
    rule = Assignee(role="rep", min_seniority="senior")
    assert resolve(rule, 2, {5: 9, 3: 9}) == "amy"          # Yann (south) has none, still later
    assert resolve(rule, 9, {4: 3, 9: 3}) == "Yann"         # south: Yann < senior_owner
    # An owner without a team: everyone, fewest open tasks, ties in code-point order.
    assert resolve(rule, 11, {}) == "Yann"


def test_min_seniority_needs_a_seniority():
    rule = Assignee(min_seniority="junior")
    assert resolve(rule, None) == "Yann"
    assert resolve(Assignee(role="staff", min_seniority="junior"), None) is None


def test_team_condition_and_fewest_open_tasks():
    rule = Assignee(team="marketing")
    assert resolve(rule, 2) == "mkt"
    assert resolve(rule, 2, {7: 1}) == "mkt2"


def test_manager_of_owner():
    rule = Assignee(manager_of_owner=True)
    assert resolve(rule, 2) == "boss"
    assert resolve(rule, 9) is None                 # the owner's manager is inactive
    assert resolve(rule, 11) is None                # no manager
    assert resolve(rule, None) is None
    assert resolve(Assignee(manager_of_owner=True, role="rep"), 2) is None


def test_an_unknown_condition_is_named_with_the_known_ones():
    with pytest.raises(LookupError, match="unknown assignee condition 'skill'; known: "
                                          "manager_of, min_seniority, role, team"):
        lookup_condition("skill")


def test_counts_follow_tasks_created_and_cancelled_earlier_in_the_run(engine, session,
                                                                      tmp_path):
    add_user(session, "x", "staff", team="field")
    add_user(session, "y", "staff", team="field")
    add_user(session, "owner", "rep", team="")         # an empty team is no team
    session.commit()
    wf = workflow(on_enter={"a": ["visit"]},
                  tasks={"visit": template(every_days=7, assignee={"team": "field"})})
    install(engine, tmp_path / "pack", wf)
    for code in ("K1", "K2", "K3", "K4"):
        add_customer(session, code, "owner")
    session.commit()
    apply_run(engine, store_run(engine, {"K1": "a"}))
    assert assignees(session) == {"K1": "x"}
    # K1 leaves a (its visit for x is cancelled) before K2..K4 enter: x counts 0 again.
    apply_run(engine, store_run(engine, {"K1": "b", "K2": "a", "K3": "a", "K4": "a"},
                                started_at=RUN_START + dt.timedelta(days=30)))
    assert assignees(session, status="open") == {"K2": "x", "K3": "y", "K4": "x"}


def test_nobody_matches_the_task_is_unassigned_and_admins_told(engine, session, tmp_path):
    add_user(session, "admin", "admin")
    add_user(session, "owner", "rep", team="north")
    session.commit()
    wf = workflow(on_enter={"a": ["review"]},
                  tasks={"review": template("review", assignee={"manager_of": "owner"})})
    install(engine, tmp_path / "pack", wf)
    add_customer(session, "K1", "owner")
    session.commit()
    report = apply_run(engine, store_run(engine, {"K1": "a"}))
    assert assignees(session) == {"K1": None}
    assert report.workflows[0].unassigned == 1
    told = notifications(session, "task.unassigned")
    assert [(n.user_id, n.payload["count"], n.subject) for n in told] == [
        (None, 1, "关怀:1 项新任务无人负责")]
