"""A small world for web tests: two teams, every role, customers of each, a stored run with
tasks, a pending challenge and notifications, built through engine functions.

Team ``east``: manager ``m1``, rep ``r1`` (reports to m1), staff ``s1``.
Team ``west``: manager ``m2``, rep ``r2`` (reports to m2).
``admin`` is the first admin of ``kamflow init``.

Customers ``C1`` (owner r1) and ``C2`` (owner r2), hospitals with profiles and orders; ``C3``
(owner r1) is inactive. After the run, C1's tasks are r1's, C2's are r2's, and one task of C1 is
s1's. Every name and password is the test's; ``world.own(role)`` and ``world.other(role)`` give
the records of the user of that role: the ones they may see and ones they may not.
"""
from __future__ import annotations

import copy
import datetime as dt
import os
import shutil
from dataclasses import dataclass, field

import pytest
from sqlalchemy.engine import make_url

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.db import make_engine, transaction
from engine.jobs.queue import enqueue
from engine.models import Customer, Notification, Order, Product, Task, User
from engine.overrides import request_override
from engine.runs import evaluate_and_follow
from engine.setup import initialize
from engine.users import create_user

PASSWORD = "correct horse battery"
AS_OF = dt.date(2026, 10, 1)
RULESET = "value_potential"
# The user each role signs in as in route tests.
USER_OF_ROLE = {"admin": "admin", "manager": "m1", "rep": "r1", "staff": "s1"}
PEOPLE = (  # username, role, team, manager, seniority
    ("m1", "manager", "east", None, "senior"),
    ("m2", "manager", "west", None, "senior"),
    ("r1", "rep", "east", "m1", "senior"),
    ("r2", "rep", "west", "m2", "senior"),
    ("s1", "staff", "east", "m1", None),
)
PROFILE = {"grade": "3A", "beds": 1200, "development_plan": "expanding",
           "academic_influence": 4, "prescription_openness": 3, "region_growth": 0.08}


@dataclass
class World:
    """Ids and codes of the world's records, for building URLs."""

    users: dict[str, int] = field(default_factory=dict)
    customers: dict[str, str] = field(default_factory=dict)     # name → code
    tasks: dict[str, int] = field(default_factory=dict)         # username → one open task id
    run_id: int = 0
    challenge_id: int = 0
    notifications: dict[str, int] = field(default_factory=dict)  # username → one id
    jobs: dict[str, int] = field(default_factory=dict)           # username → a job they started

    def own(self, role: str) -> dict[str, object]:
        """Records the user of ``role`` may see (an admin: r1's)."""
        user = USER_OF_ROLE[role]
        task_of = {"admin": "r1", "manager": "r1", "rep": "r1", "staff": "s1"}[role]
        return {"customer": "C1", "task": self.tasks[task_of], "run": self.run_id,
                "challenge": self.challenge_id,
                "notification": self.notifications.get(user, 0), "user": self.users[user],
                "job": self.jobs[user]}

    def other(self, role: str) -> dict[str, object]:
        """Records the user of ``role`` may not see (for an admin there are none: r2's)."""
        return {"customer": "C2", "task": self.tasks["r2"], "run": self.run_id,
                "challenge": self.challenge_id, "notification": self.notifications["r2"],
                "user": self.users["r2"], "job": self.jobs["r2"]}


def build_world(engine) -> World:
    initialize(engine, admin_password=PASSWORD)
    world = World()
    with transaction(engine) as session:
        _people(session, world)
        _customers(session, world)
    world.run_id = evaluate_and_follow(engine, RULESET, as_of=AS_OF, trigger="cli").run_id
    with transaction(engine) as session:
        _assign_tasks(session, world)
        world.challenge_id = request_override(
            session, "C1", _other_segment(session, world.run_id), AS_OF + dt.timedelta(days=90),
            "科室扩建, 下季度起量", "r1", today=AS_OF).id
        _notify(session, world)
        for username in ("admin", "m1", "r1", "r2", "s1"):
            world.jobs[username] = enqueue(session, "dry_run", {"ruleset": RULESET},
                                           username).id
    return world


def _people(session: Session, world: World) -> None:
    world.users["admin"] = session.scalar(select(User.id).where(User.username == "admin"))
    for username, role, team, manager, seniority in PEOPLE:
        manager_id = world.users.get(manager) if manager else None
        user = create_user(session, username, role, PASSWORD, actor="test",
                           name=username.upper(), team=team, manager_id=manager_id,
                           seniority=seniority, email=f"{username}@example.com")
        world.users[username] = user.id


def _customers(session: Session, world: World) -> None:
    product = Product(code="P1", name="Product one", product_line="oncology", is_new=False)
    session.add(product)
    for code, owner, status, amount in (("C1", "r1", "active", 900_000_00),
                                        ("C2", "r2", "active", 300_000_00),
                                        ("C3", "r1", "inactive", 0)):
        customer = Customer(code=code, name=f"{code} 人民医院", normalized_name=f"{code}人民医院",
                            type="hospital", region="浙江省", city="杭州市",
                            owner_id=world.users[owner], status=status, profile=dict(PROFILE))
        session.add(customer)
        session.flush()
        world.customers[code] = code
        if amount:
            session.add(Order(order_id=f"O-{code}", customer_id=customer.id,
                              date=AS_OF - dt.timedelta(days=40), product_id=product.id,
                              quantity_milli=10_000, amount_cents=amount,
                              cost_cents=amount // 2))


def _customer_id(session: Session, code: str) -> int:
    return session.scalar(select(Customer.id).where(Customer.code == code))


def _assign_tasks(session: Session, world: World) -> None:
    """C1's tasks to r1 (one of them to s1), C2's to r2, so that each role has its own."""
    for code, username in (("C1", "r1"), ("C2", "r2")):
        session.execute(update(Task).where(Task.customer_id == _customer_id(session, code))
                        .values(assignee_id=world.users[username]))
    for code, username in (("C2", "r2"), ("C1", "s1"), ("C1", "r1")):
        task_id = session.scalar(
            select(Task.id).where(Task.customer_id == _customer_id(session, code),
                                  Task.status == "open", Task.id.not_in(world.tasks.values()))
            .order_by(Task.id))
        assert task_id is not None, f"the run made too few open tasks for {code}"
        world.tasks[username] = task_id
    session.execute(update(Task).where(Task.id == world.tasks["s1"])
                    .values(assignee_id=world.users["s1"]))


def _other_segment(session: Session, run_id: int) -> str:
    from engine.models import CustomerScore

    current = session.scalar(select(CustomerScore.segment).where(
        CustomerScore.run_id == run_id,
        CustomerScore.customer_id == _customer_id(session, "C1")))
    segments = ("star", "cash_cow", "question", "dog")
    return next(s for s in segments if s != current)


def _notify(session: Session, world: World) -> None:
    for username in ("admin", "r1", "r2", "m1", "s1"):
        note = Notification(user_id=world.users[username], kind="test", subject="测试通知",
                            body="", payload={})
        session.add(note)
        session.flush()
        world.notifications[username] = note.id


@pytest.fixture(scope="session")
def _world_snapshot(backend, database_url, tmp_path_factory):
    """SQLite: a database file holding the built world, and the world; built once a session."""
    if backend != "sqlite":
        return None
    path = tmp_path_factory.mktemp("world") / "world.db"
    shutil.copyfile(make_url(database_url).database, path)
    snapshot_engine = make_engine(f"sqlite:///{path}")
    try:
        world = build_world(snapshot_engine)
        with snapshot_engine.connect() as connection:      # everything into the main file
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        snapshot_engine.dispose()
    return path, world


@pytest.fixture
def world(engine, _world_snapshot) -> World:
    """The world on this test's database: on SQLite a copy of the session's snapshot (much
    faster than building it: sign-in passwords are hashed with scrypt), else built anew."""
    if _world_snapshot is None:
        return build_world(engine)
    path, world = _world_snapshot
    engine.dispose()
    target = make_url(engine.url.render_as_string(hide_password=False)).database
    for suffix in ("-wal", "-shm"):
        if os.path.exists(target + suffix):
            os.remove(target + suffix)
    shutil.copyfile(path, target)
    return copy.deepcopy(world)
