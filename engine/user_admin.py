"""Administering users (SPEC §2 User, §5.1 ``/admin/users``): the list with each user's open
tasks and owned customers counted in SQL, creating and editing users with every problem named
at its field, and deactivating a user with their open tasks and customers handed to another
active user in the same transaction. Every change is audited; the object id of a user's audit
entry is the username, as in ``engine.users``.

A deactivated user's sessions and tokens stop working by themselves: signing in, the session
loader and ``engine.tokens.user_of_token`` all require ``active``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import Connection, and_, case, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from engine import access, audit, users
from engine.customers.merged import live
from engine.errors import KamflowError, NotFound
from engine.models import Customer, Task, User
from engine.tasks.assignees import OPEN_STATUSES

USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]*")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
LOCALES = ("zh", "en")
MANAGER_ROLES = (access.MANAGER, access.ADMIN)
LIMITS = {"username": 100, "name": 200, "team": 100, "email": 320}
EDITABLE = ("name", "role", "seniority", "team", "manager_id", "email", "locale")
PAGE_SIZE = 100


@dataclass(frozen=True)
class FieldProblem:
    """What is wrong with one field: ``reason`` is a code the web layer words (``required``,
    ``format``, ``taken``, ``too_long``, ``choice``, ``manager``, ``self``, ``last_admin``,
    ``successor``…); ``params`` fill the wording."""

    field: str
    reason: str
    params: dict = field(default_factory=dict)


class UserChangeRefused(KamflowError, ValueError):
    """A user change refused whole, with every problem at its field."""

    def __init__(self, problems: list[FieldProblem]):
        self.problems = tuple(problems)
        super().__init__("user change refused: " + ", ".join(
            f"{p.field}: {p.reason}" for p in self.problems))


# ----- reading ---------------------------------------------------------------------------

@dataclass(frozen=True)
class UserFilters:
    role: str | None = None
    team: str | None = None
    active: bool | None = None
    text: str | None = None
    after: str | None = None       # keyset: the last username of the previous page


def _open_tasks():
    return (select(Task.assignee_id.label("user_id"), func.count().label("n"))
            .where(Task.status.in_(OPEN_STATUSES)).group_by(Task.assignee_id).subquery())


def _owned_customers():
    return (select(Customer.owner_id.label("user_id"), func.count().label("n"))
            .where(live()).group_by(Customer.owner_id).subquery())


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def user_rows(connection: Connection, viewer: access.Viewer, filters: UserFilters,
              limit: int = PAGE_SIZE) -> tuple[list, str | None]:
    """One page of users by username with their counts, and the keyset of the next page."""
    tasks, owned, manager = _open_tasks(), _owned_customers(), aliased(User)
    query = (select(User.id, User.username, User.name, User.role, User.seniority, User.team,
                    User.locale, User.active, User.email, manager.username.label("manager"),
                    func.coalesce(tasks.c.n, 0).label("open_tasks"),
                    func.coalesce(owned.c.n, 0).label("customers"))
             .outerjoin(manager, manager.id == User.manager_id)
             .outerjoin(tasks, tasks.c.user_id == User.id)
             .outerjoin(owned, owned.c.user_id == User.id)
             .where(access.users(viewer)).order_by(User.username).limit(limit + 1))
    if filters.role:
        query = query.where(User.role == filters.role)
    if filters.team:
        query = query.where(User.team == filters.team)
    if filters.active is not None:
        query = query.where(User.active.is_(filters.active))
    if filters.text:
        pattern = _like(filters.text)
        query = query.where(or_(*(func.lower(column).like(pattern, escape="\\")
                                  for column in (User.username, User.name, User.email))))
    if filters.after:
        query = query.where(User.username > filters.after)
    rows = connection.execute(query).all()
    next_after = rows[limit - 1].username if len(rows) > limit else None
    return rows[:limit], next_after


def teams(connection: Connection) -> list[str]:
    return list(connection.scalars(select(User.team).where(User.team.is_not(None))
                                   .distinct().order_by(User.team)))


def managers(connection: Connection, exclude: int | None = None) -> list:
    """Active managers and admins, who may be someone's manager."""
    query = (select(User.id, User.username, User.name, User.team)
             .where(User.active, User.role.in_(MANAGER_ROLES)).order_by(User.username))
    if exclude is not None:
        query = query.where(User.id != exclude)
    return connection.execute(query).all()


def handover_counts(connection: Connection, user_id: int) -> tuple[int, int]:
    """(open tasks assigned to, live customers owned by) user ``user_id``."""
    tasks = connection.scalar(select(func.count()).select_from(Task).where(
        Task.assignee_id == user_id, Task.status.in_(OPEN_STATUSES)))
    customers = connection.scalar(select(func.count()).select_from(Customer).where(
        Customer.owner_id == user_id, live()))
    return tasks, customers


def successors(connection: Connection, user_id: int) -> list:
    """Active users who may take over ``user_id``'s work: the same team first."""
    team = connection.scalar(select(User.team).where(User.id == user_id))
    # 0 for the same team, 1 otherwise (a NULL team sorts with the others on every backend).
    query = (select(User.id, User.username, User.name, User.role, User.team)
             .where(User.active, User.id != user_id))
    if team:
        query = query.order_by(case((User.team == team, 0), else_=1))
    return connection.execute(query.order_by(User.username)).all()


def get_user(session: Session, user_id: int, lock: bool = False) -> User:
    query = select(User).where(User.id == user_id)
    user = session.scalar(query.with_for_update() if lock else query)
    if user is None:
        raise NotFound("user", user_id)
    return user


# ----- validating ------------------------------------------------------------------------

def _clean(values: dict) -> dict:
    """Trimmed text, empty as ``None``; ``manager_id`` as an int or ``None``."""
    cleaned = {}
    for key, value in values.items():
        if isinstance(value, str):
            value = value.strip() or None
        cleaned[key] = value
    manager_id = cleaned.get("manager_id")
    if isinstance(manager_id, str):
        cleaned["manager_id"] = int(manager_id) if manager_id.isdigit() else -1
    return cleaned


def _problems(session: Session, values: dict, user: User | None) -> list[FieldProblem]:
    problems = []
    for name, limit in LIMITS.items():
        value = values.get(name)
        if value is not None and len(value) > limit:
            problems.append(FieldProblem(name, "too_long", {"n": limit}))
    if user is None:
        problems += _username_problems(session, values.get("username"))
    if not values.get("name"):
        problems.append(FieldProblem("name", "required"))
    if values.get("role") not in users.ROLES:
        problems.append(FieldProblem("role", "choice"))
    if values.get("seniority") not in (None, *users.SENIORITY):
        problems.append(FieldProblem("seniority", "choice"))
    if values.get("locale") not in LOCALES:
        problems.append(FieldProblem("locale", "choice"))
    email = values.get("email")
    if email and not EMAIL.fullmatch(email):
        problems.append(FieldProblem("email", "format"))
    problems += _manager_problems(session, values.get("manager_id"), user)
    return problems


def _username_problems(session: Session, username: str | None) -> list[FieldProblem]:
    if not username:
        return [FieldProblem("username", "required")]
    if not USERNAME.fullmatch(username):
        return [FieldProblem("username", "format")]
    taken = session.scalar(select(User.id).where(
        func.lower(User.username) == username.lower()))
    return [FieldProblem("username", "taken")] if taken is not None else []


def _manager_problems(session: Session, manager_id: int | None,
                      user: User | None) -> list[FieldProblem]:
    if manager_id is None:
        return []
    if user is not None and manager_id == user.id:
        return [FieldProblem("manager_id", "self")]
    ok = session.scalar(select(User.id).where(User.id == manager_id, User.active,
                                              User.role.in_(MANAGER_ROLES)))
    return [] if ok is not None else [FieldProblem("manager_id", "manager")]


def _other_active_admins(session: Session, user_id: int) -> int:
    """Active admins other than ``user_id``, their rows locked so that two admins cannot
    remove each other at once."""
    ids = session.scalars(select(User.id).where(User.role == access.ADMIN, User.active,
                                                User.id != user_id).with_for_update())
    return len(list(ids))


# ----- changing --------------------------------------------------------------------------

def create(session: Session, values: dict, actor: str, password: str | None = None) -> User:
    """A new active user from form ``values`` (``username``, ``name``, ``role``, ``seniority``,
    ``team``, ``manager_id``, ``email``, ``locale``); ``UserChangeRefused`` lists every problem.
    """
    values = _clean(values)
    problems = _problems(session, values, None)
    if password is not None:
        problems += [FieldProblem("password", "password", {"text": text})
                     for text in users.password_problems(password)]
    if problems:
        raise UserChangeRefused(problems)
    attributes = {key: values.get(key) for key in EDITABLE if key != "role"}
    return users.create_user(session, values["username"], values["role"], password,
                             actor=actor, **attributes)


def update_user(session: Session, user_id: int, values: dict, actor: access.Viewer) -> User:
    """Change the editable fields of ``user_id``; audited with what changed (old, new)."""
    user = get_user(session, user_id, lock=True)
    values = _clean({key: values.get(key) for key in EDITABLE})
    problems = _problems(session, values, user)
    if user.role == access.ADMIN and values.get("role") != access.ADMIN and user.active:
        if user.id == actor.id:
            problems.append(FieldProblem("role", "self"))
        elif _other_active_admins(session, user.id) == 0:
            problems.append(FieldProblem("role", "last_admin"))
    if problems:
        raise UserChangeRefused(problems)
    changes = {key: [getattr(user, key), values[key]] for key in EDITABLE
               if getattr(user, key) != values[key]}
    for key, (_old, new) in changes.items():
        setattr(user, key, new)
    if changes:
        session.flush()
        audit.record(session, actor.username, "user.update", "user", user.username,
                     {"user_id": user.id, "changes": changes})
    return user


@dataclass(frozen=True)
class Handover:
    """What a deactivation moved: open tasks and customers, to whom."""

    tasks: int
    customers: int
    successor: str | None


def reassign_work(session: Session, from_id: int, to_id: int) -> tuple[int, int]:
    """Hand every open task of ``from_id`` and every live customer they own to ``to_id``
    (two set-based UPDATEs); returns the counts."""
    tasks = session.execute(
        update(Task).where(Task.assignee_id == from_id, Task.status.in_(OPEN_STATUSES))
        .values(assignee_id=to_id), execution_options={"synchronize_session": False}).rowcount
    customers = session.execute(
        update(Customer).where(and_(Customer.owner_id == from_id, live()))
        .values(owner_id=to_id), execution_options={"synchronize_session": False}).rowcount
    return tasks, customers


def deactivate(session: Session, user_id: int, actor: access.Viewer,
               successor_id: int | None) -> Handover:
    """Deactivate ``user_id``, handing their open tasks and customers to ``successor_id``.

    Refused (``UserChangeRefused``) for oneself, for the last active admin, for an inactive
    user, and without an active successor while there is work to hand over."""
    user = get_user(session, user_id, lock=True)
    problems = []
    if user.id == actor.id:
        problems.append(FieldProblem("form", "self"))
    elif not user.active:
        problems.append(FieldProblem("form", "inactive"))
    elif user.role == access.ADMIN and _other_active_admins(session, user.id) == 0:
        problems.append(FieldProblem("form", "last_admin"))
    open_tasks, customers = handover_counts(session.connection(), user.id)
    successor = None
    if successor_id is not None:
        successor = session.scalar(select(User).where(User.id == successor_id, User.active,
                                                      User.id != user.id).with_for_update())
        if successor is None:
            problems.append(FieldProblem("successor", "successor"))
    elif open_tasks or customers:
        problems.append(FieldProblem("successor", "required"))
    if problems:
        raise UserChangeRefused(problems)
    moved = reassign_work(session, user.id, successor.id) if successor else (0, 0)
    user.active = False
    session.flush()
    handover = Handover(moved[0], moved[1], successor.username if successor else None)
    audit.record(session, actor.username, "user.deactivate", "user", user.username,
                 {"user_id": user.id, "successor": handover.successor,
                  "tasks": handover.tasks, "customers": handover.customers})
    return handover


def reactivate(session: Session, user_id: int, actor: access.Viewer) -> User:
    user = get_user(session, user_id, lock=True)
    if user.active:
        raise UserChangeRefused([FieldProblem("form", "active")])
    user.active = True
    session.flush()
    audit.record(session, actor.username, "user.reactivate", "user", user.username,
                 {"user_id": user.id})
    return user
