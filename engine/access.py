"""Who sees what (SPEC §5.1): the one policy that turns a viewer and a kind of record into a SQL
condition. Every web page, export, count, chart and API call filters through it; nothing else
decides visibility.

- **admin** sees everything.
- **manager** sees the customers owned by their team — the users whose ``team`` equals theirs or
  whose ``manager`` is them, themselves included — and those members' tasks.
- **rep** sees the customers they own and the tasks assigned to them.
- **staff** sees the tasks assigned to them.

A rep or a member of staff also sees the customer of every task assigned to them: a task
assigned by a workflow rule (a senior rep for a high-potential hospital, say) is useless to its
assignee if the customer page answers 404. Merged customers are in no list (``live()``).

Facts, scores, overrides and challenges are seen through their customer; notifications are the
viewer's own (an admin also sees those addressed to every admin); jobs are their creator's (and
every admin's). Runs are read by managers and admins; what a run page counts is still limited
to the viewer's customers.

A condition is a SQLAlchemy expression over the tables of ``engine.models``; callers add it to
their ``where``. A record that does not satisfy it is answered as if it did not exist.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true
from sqlalchemy.sql import Select

from engine.customers.merged import live
from engine.models import Customer, Job, Notification, Task, User

ADMIN, MANAGER, REP, STAFF = "admin", "manager", "rep", "staff"
ROLES = (ADMIN, MANAGER, REP, STAFF)

# What each role may change, beside what it may see (SPEC §5.1, §7).
EDITS_PROFILES = (ADMIN, MANAGER, REP)
CHALLENGES_SEGMENTS = (REP, MANAGER, ADMIN)
DECIDES_CHALLENGES = (MANAGER, ADMIN)
WORKS_TASKS = (ADMIN, MANAGER, REP, STAFF)
REASSIGNS_TASKS = (MANAGER, ADMIN)
READS_RUNS = (MANAGER, ADMIN)
RUNS_EVALUATIONS = (ADMIN,)


@dataclass(frozen=True)
class Viewer:
    """The person a query is answered for: enough of a user to build their conditions."""

    id: int
    username: str
    role: str
    team: str | None = None

    @classmethod
    def of(cls, user) -> Viewer:
        return cls(user.id, user.username, user.role, user.team)

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN


def team_members(viewer: Viewer) -> Select:
    """The ids of the users a manager answers for: their team, their reports, themselves."""
    members = [User.id == viewer.id, User.manager_id == viewer.id]
    if viewer.team:
        members.append(User.team == viewer.team)
    return select(User.id).where(or_(*members))


def assigned_customers(viewer: Viewer) -> Select:
    """The ids of the customers of the tasks assigned to ``viewer``."""
    return select(Task.customer_id).where(Task.assignee_id == viewer.id)


def _customer_condition(viewer: Viewer) -> ColumnElement[bool]:
    if viewer.role == ADMIN:
        return true()
    if viewer.role == MANAGER:
        return Customer.owner_id.in_(team_members(viewer))
    if viewer.role == REP:
        return or_(Customer.owner_id == viewer.id, Customer.id.in_(assigned_customers(viewer)))
    if viewer.role == STAFF:
        return Customer.id.in_(assigned_customers(viewer))
    return false()


def customers(viewer: Viewer) -> ColumnElement[bool]:
    """The condition on ``customers`` of being a live customer ``viewer`` may see."""
    return and_(live(), _customer_condition(viewer))


def customer_ids(viewer: Viewer) -> Select:
    """The ids of the customers ``viewer`` may see: for facts, scores and overrides, which
    are seen through their customer (``Order.customer_id.in_(customer_ids(viewer))``)."""
    return select(Customer.id).where(customers(viewer))


def customer_visible(viewer: Viewer, customer_id) -> ColumnElement[bool]:
    """The condition that the customer ``customer_id`` (a column or a value) is one ``viewer``
    may see, as a correlated EXISTS: for the rows of one customer (its page's facts, scores,
    history), where ``IN (customer_ids(viewer))`` would list every visible customer first."""
    return exists(select(Customer.id).where(Customer.id == customer_id, customers(viewer)))


def tasks(viewer: Viewer) -> ColumnElement[bool]:
    """The condition on ``tasks`` of being a task ``viewer`` may see."""
    if viewer.role == ADMIN:
        return true()
    if viewer.role == MANAGER:
        return Task.assignee_id.in_(team_members(viewer))
    if viewer.role in (REP, STAFF):
        return Task.assignee_id == viewer.id
    return false()


def users(viewer: Viewer) -> ColumnElement[bool]:
    """The condition on ``users`` of being someone ``viewer`` may pick (owner filters,
    reassignment): an admin everyone, a manager their team, others themselves."""
    if viewer.role == ADMIN:
        return true()
    if viewer.role == MANAGER:
        return User.id.in_(team_members(viewer))
    return User.id == viewer.id


def notifications(viewer: Viewer) -> ColumnElement[bool]:
    """The condition on ``notifications`` of being addressed to ``viewer``."""
    own = Notification.user_id == viewer.id
    if viewer.role == ADMIN:
        return or_(own, Notification.user_id.is_(None))
    return own


def jobs(viewer: Viewer) -> ColumnElement[bool]:
    """The condition on ``jobs`` of being one ``viewer`` may follow: their own; an admin's
    every job."""
    if viewer.role == ADMIN:
        return true()
    return Job.created_by == viewer.username


def may(viewer: Viewer, roles: tuple[str, ...]) -> bool:
    """Whether ``viewer``'s role is one of ``roles`` (the constants above)."""
    return viewer.role in roles
