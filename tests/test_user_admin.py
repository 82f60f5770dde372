"""engine.user_admin: the user list with counts, creating and editing users (problems at their
fields), deactivating with the work handed over in one transaction, and the audit of each."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine import access, tokens, user_admin
from engine.db import transaction
from engine.models import AuditEntry, Customer, Task, User
from engine.tasks.assignees import OPEN_STATUSES
from web_world import _world_snapshot, world  # noqa: F401  (fixtures)


def _viewer(engine, username: str) -> access.Viewer:
    with transaction(engine) as session:
        return access.Viewer.of(session.scalar(select(User).where(User.username == username)))


def _rows(engine, **filters):
    with engine.connect() as connection:
        rows, _next = user_admin.user_rows(connection, _viewer(engine, "admin"),
                                           user_admin.UserFilters(**filters))
    return {row.username: row for row in rows}


def _count(engine, query) -> int:
    with engine.connect() as connection:
        return connection.scalar(query)


def test_the_list_counts_open_tasks_and_live_customers_in_sql(engine, world):
    rows = _rows(engine)
    open_r1 = _count(engine, select(func.count()).select_from(Task).where(
        Task.assignee_id == world.users["r1"], Task.status.in_(OPEN_STATUSES)))
    assert open_r1 > 0 and rows["r1"].open_tasks == open_r1
    assert rows["r1"].customers == 2 and rows["r2"].customers == 1   # C1, C3 / C2
    assert rows["m1"].customers == 0 and rows["r1"].manager == "m1"
    assert set(_rows(engine, role="rep")) == {"r1", "r2"}
    assert set(_rows(engine, team="west")) == {"m2", "r2"}
    assert set(_rows(engine, text="R2")) == {"r2"}
    assert set(_rows(engine, text="%")) == set()          # LIKE wildcards are text


def test_the_list_pages_by_username(engine, world):
    with engine.connect() as connection:
        viewer = _viewer(engine, "admin")
        first, after = user_admin.user_rows(connection, viewer, user_admin.UserFilters(), 4)
        second, end = user_admin.user_rows(connection, viewer,
                                           user_admin.UserFilters(after=after), 4)
    assert [r.username for r in first] == ["admin", "m1", "m2", "r1"] and after == "r1"
    assert [r.username for r in second] == ["r2", "s1"] and end is None


def _problems(excinfo) -> set[tuple[str, str]]:
    return {(p.field, p.reason) for p in excinfo.value.problems}


def test_creating_names_every_problem_at_its_field(engine, world):
    bad = {"username": "r1 x", "name": " ", "role": "boss", "seniority": "guru",
           "locale": "fr", "email": "nope", "manager_id": str(world.users["r1"])}
    with pytest.raises(user_admin.UserChangeRefused) as excinfo, transaction(engine) as session:
        user_admin.create(session, bad, "admin", "short")
    assert _problems(excinfo) == {("username", "format"), ("name", "required"),
                                  ("role", "choice"), ("seniority", "choice"),
                                  ("locale", "choice"), ("email", "format"),
                                  ("manager_id", "manager"), ("password", "password")}
    with pytest.raises(user_admin.UserChangeRefused) as excinfo, transaction(engine) as session:
        user_admin.create(session, {"username": "R1", "name": "x", "role": "rep",
                                    "locale": "zh"}, "admin")
    assert _problems(excinfo) == {("username", "taken")}
    assert _count(engine, select(func.count()).select_from(User)) == 6


def test_creating_and_editing_are_audited(engine, world):
    with transaction(engine) as session:
        user = user_admin.create(session, {"username": "r3", "name": "新人", "role": "rep",
                                           "team": "east", "locale": "en",
                                           "manager_id": str(world.users["m1"])},
                                 "admin", "a long enough password")
        user_id = user.id
    admin = _viewer(engine, "admin")
    with transaction(engine) as session:
        user_admin.update_user(session, user_id, {
            "name": "新人", "role": "rep", "seniority": "junior", "team": "west",
            "manager_id": str(world.users["m2"]), "locale": "en", "email": ""}, admin)
    with transaction(engine) as session:
        user = session.get(User, user_id)
        assert (user.team, user.manager_id, user.seniority) == ("west", world.users["m2"],
                                                                "junior")
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "user.update"))
    assert entry.actor == "admin" and entry.object_id == "r3"
    assert entry.details["changes"]["team"] == ["east", "west"]
    assert "name" not in entry.details["changes"]


def test_the_last_admin_keeps_the_role_and_nobody_demotes_themselves(engine, world):
    admin = _viewer(engine, "admin")
    values = {"name": "Admin", "role": "manager", "locale": "zh"}
    with pytest.raises(user_admin.UserChangeRefused) as excinfo, transaction(engine) as session:
        user_admin.update_user(session, world.users["admin"], values, admin)
    assert _problems(excinfo) == {("role", "self")}
    with transaction(engine) as session:
        second = user_admin.create(session, {"username": "boss", "name": "Boss",
                                             "role": "admin", "locale": "zh"}, "admin")
        boss = access.Viewer.of(second)
    with transaction(engine) as session:       # another admin may, while one stays
        user_admin.update_user(session, world.users["admin"], values, boss)
    with pytest.raises(user_admin.UserChangeRefused) as excinfo, transaction(engine) as session:
        user_admin.deactivate(session, boss.id, admin, None)
    assert _problems(excinfo) == {("form", "last_admin")}     # boss is the only admin left


def test_deactivating_hands_over_the_work_in_one_go(engine, world):
    admin = _viewer(engine, "admin")
    r1, r2 = world.users["r1"], world.users["r2"]
    open_before = _count(engine, select(func.count()).select_from(Task).where(
        Task.assignee_id == r1, Task.status.in_(OPEN_STATUSES)))
    closed_before = _count(engine, select(func.count()).select_from(Task).where(
        Task.assignee_id == r1, Task.status.not_in(OPEN_STATUSES)))
    with transaction(engine) as session:
        secret = tokens.create_token(session, "r1", actor="test").secret
    with pytest.raises(user_admin.UserChangeRefused) as excinfo, transaction(engine) as session:
        user_admin.deactivate(session, r1, admin, None)
    assert _problems(excinfo) == {("successor", "required")}
    with transaction(engine) as session:
        handover = user_admin.deactivate(session, r1, admin, r2)
    assert (handover.tasks, handover.customers, handover.successor) == (open_before, 2, "r2")
    assert _count(engine, select(func.count()).select_from(Customer).where(
        Customer.owner_id == r2)) == 3
    assert _count(engine, select(func.count()).select_from(Task).where(
        Task.assignee_id == r1)) == closed_before       # closed tasks keep their history
    with transaction(engine) as session:
        assert not session.get(User, r1).active
        assert tokens.user_of_token(session, secret) is None
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "user.deactivate"))
    assert entry.details == {"user_id": r1, "successor": "r2", "tasks": open_before,
                             "customers": 2}
    with transaction(engine) as session:
        user_admin.reactivate(session, r1, admin)
    with transaction(engine) as session:
        assert session.get(User, r1).active
        assert tokens.user_of_token(session, secret) is not None


def test_deactivating_refuses_oneself_an_inactive_successor_and_twice(engine, world):
    admin = _viewer(engine, "admin")
    with pytest.raises(user_admin.UserChangeRefused) as excinfo, transaction(engine) as session:
        user_admin.deactivate(session, admin.id, admin, None)
    assert _problems(excinfo) == {("form", "self")}
    with transaction(engine) as session:
        user_admin.deactivate(session, world.users["m2"], admin, None)   # nothing to hand over
    with pytest.raises(user_admin.UserChangeRefused) as excinfo, transaction(engine) as session:
        user_admin.deactivate(session, world.users["r2"], admin, world.users["m2"])
    assert _problems(excinfo) == {("successor", "successor")}
    with pytest.raises(user_admin.UserChangeRefused) as excinfo, transaction(engine) as session:
        user_admin.deactivate(session, world.users["m2"], admin, None)
    assert _problems(excinfo) == {("form", "inactive")}
    assert _rows(engine, active=False).keys() == {"m2"}


def test_successors_list_the_same_team_first(engine, world):
    with engine.connect() as connection:
        names = [row.username for row in user_admin.successors(connection, world.users["r1"])]
    assert names[:2] == ["m1", "s1"] and "r1" not in names and set(names) == {
        "m1", "s1", "admin", "m2", "r2"}
