"""The demo's sign-ins: a manager and one of their reps get new random passwords.

Chosen from the data, not by name: the active rep who owns the most customers, and that
rep's manager, so the two see the same customers from both sides.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import aliased

from engine.db import transaction
from engine.models import Customer, User
from engine.users import generate_password, set_password

ACTOR = "kamflow demo"


@dataclass(frozen=True)
class DemoAccount:
    role: str
    username: str
    name: str
    password: str


def demo_accounts(engine: Engine) -> list[DemoAccount]:
    """Set and return fresh passwords for the busiest rep and their manager."""
    accounts = []
    with transaction(engine) as session:
        for user in _busiest_rep_and_manager(session):
            password = generate_password()
            set_password(session, user.username, password, actor=ACTOR)
            accounts.append(DemoAccount(user.role, user.username, user.name, password))
    return sorted(accounts, key=lambda a: a.role)


def _busiest_rep_and_manager(session) -> list[User]:
    owned = func.count(Customer.id)
    rep = session.scalars(
        select(User).join(Customer, Customer.owner_id == User.id)
        .where(User.role == "rep", User.active)
        .group_by(User.id).order_by(owned.desc(), User.username).limit(1)).first()
    if rep is None:
        return []
    manager = aliased(User)
    boss = session.scalar(select(manager).where(manager.id == rep.manager_id,
                                                manager.role == "manager", manager.active))
    return [u for u in (boss, rep) if u is not None]
