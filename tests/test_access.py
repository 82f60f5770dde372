"""The visibility policy (SPEC §5.1), queried directly: who sees which customers, tasks,
users and notifications."""
from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import access
from engine.access import Viewer
from engine.db import transaction
from engine.models import Customer, Notification, Task, User
from engine.users import create_user
from web_world import _world_snapshot, world  # noqa: F401  (fixtures)


def _viewer(session: Session, username: str) -> Viewer:
    return Viewer.of(session.scalar(select(User).where(User.username == username)))


def _codes(session: Session, viewer: Viewer) -> set[str]:
    return set(session.scalars(select(Customer.code).where(access.customers(viewer))))


def _task_owners(session: Session, viewer: Viewer) -> set[str]:
    return set(session.scalars(select(User.username).join(Task, Task.assignee_id == User.id)
                               .where(access.tasks(viewer))))


@pytest.mark.parametrize("username, customers, assignees", [
    ("admin", {"C1", "C2", "C3"}, {"r1", "r2", "s1"}),
    ("m1", {"C1", "C3"}, {"r1", "s1"}),          # team east: r1's customers, r1's and s1's tasks
    ("m2", {"C2"}, {"r2"}),
    ("r1", {"C1", "C3"}, {"r1"}),
    ("r2", {"C2"}, {"r2"}),
    ("s1", {"C1"}, {"s1"}),                      # staff: the customer of their task only
])
def test_customers_and_tasks_by_role(world, session, username, customers, assignees):
    viewer = _viewer(session, username)
    assert _codes(session, viewer) == customers
    assert _task_owners(session, viewer) == assignees


def test_a_rep_sees_the_customer_of_a_task_assigned_to_them(world, session, engine):
    with transaction(engine) as writing:
        task = writing.get(Task, world.tasks["r2"])
        task.assignee_id = world.users["r1"]
    session.rollback()
    assert _codes(session, _viewer(session, "r1")) == {"C1", "C2", "C3"}


def test_a_manager_sees_their_direct_reports_in_another_team(world, session, engine):
    with transaction(engine) as writing:
        create_user(writing, "r9", "rep", None, actor="test", name="R9", team="north",
                    manager_id=world.users["m1"])
        writing.get(Customer, _id(writing, "C2")).owner_id = writing.scalar(
            select(User.id).where(User.username == "r9"))
    session.rollback()
    assert _codes(session, _viewer(session, "m1")) == {"C1", "C2", "C3"}
    assert _codes(session, _viewer(session, "m2")) == set()


def test_a_manager_without_a_team_sees_only_their_reports(world, session, engine):
    with transaction(engine) as writing:
        create_user(writing, "m9", "manager", None, actor="test", name="M9")
    session.rollback()
    assert _codes(session, _viewer(session, "m9")) == set()


def test_merged_customers_are_seen_by_nobody(world, session, engine):
    with transaction(engine) as writing:
        customer = writing.get(Customer, _id(writing, "C3"))
        customer.status, customer.merged_into_id = "merged", _id(writing, "C1")
        from engine.models import utcnow
        customer.merged_at = utcnow()
    session.rollback()
    assert "C3" not in _codes(session, _viewer(session, "admin"))


def test_users_a_viewer_may_pick(world, session):
    def names(username):
        return set(session.scalars(select(User.username)
                                   .where(access.users(_viewer(session, username)))))

    assert names("admin") == {"admin", "m1", "m2", "r1", "r2", "s1"}
    assert names("m1") == {"m1", "r1", "s1"}
    assert names("r1") == {"r1"}


def test_notifications_are_the_viewers_own_and_admins_share_unaddressed_ones(world, session,
                                                                            engine):
    with transaction(engine) as writing:
        writing.add(Notification(user_id=None, kind="test", subject="to every admin",
                                 body="", payload={}))
    session.rollback()

    def subjects(username):
        return list(session.scalars(select(Notification.user_id)
                                    .where(access.notifications(_viewer(session, username)))))

    assert set(subjects("r1")) == {world.users["r1"]}
    assert None in subjects("admin") and None not in subjects("m1")
    assert set(subjects("admin")) <= {None, world.users["admin"]}


def test_an_unknown_role_sees_nothing(world, session):
    nobody = Viewer(id=world.users["r1"], username="r1", role="auditor")
    assert _codes(session, nobody) == set()
    assert _task_owners(session, nobody) == set()


def _id(session: Session, code: str) -> int:
    return session.scalar(select(Customer.id).where(Customer.code == code))
