"""Reading the audit log (SPEC §5.1 ``/admin/audit``): entries newest first, filtered by who
(the actor), what (an action prefix, an object type), when (dates in the configured time zone)
and text in the object id, in keyset pages on (at, id).

Each entry comes with the id of the user its actor names and, for an entry about a user, the id
of that user, resolved by outer joins in the same query so that pages can link them.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, and_, func, or_, select
from sqlalchemy.orm import aliased

from engine.models import AuditEntry, User

PAGE_SIZE = 50
EXPORT_LIMIT = 100_000
# Object types whose object id is a username (users; sign-in attempts).
USER_OBJECTS = ("user", "login")


@dataclass(frozen=True)
class AuditFilters:
    actor: str | None = None
    action: str | None = None          # a prefix: "user." or "override"
    object_type: str | None = None
    date_from: dt.date | None = None   # inclusive, in the configured time zone
    date_to: dt.date | None = None     # inclusive
    object_text: str | None = None     # a part of the object id
    before: int | None = None          # keyset: the id of the last entry of the previous page


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _start_of(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=zone).astimezone(dt.UTC)


def _conditions(filters: AuditFilters, zone: ZoneInfo) -> list:
    entry = AuditEntry
    conditions = []
    if filters.actor:
        conditions.append(entry.actor == filters.actor)
    if filters.action:
        conditions.append(entry.action.like(_like_escape(filters.action) + "%", escape="\\"))
    if filters.object_type:
        conditions.append(entry.object_type == filters.object_type)
    if filters.date_from:
        conditions.append(entry.at >= _start_of(filters.date_from, zone))
    if filters.date_to:
        conditions.append(entry.at < _start_of(filters.date_to + dt.timedelta(days=1), zone))
    if filters.object_text:
        pattern = "%" + _like_escape(filters.object_text.lower()) + "%"
        conditions.append(func.lower(entry.object_id).like(pattern, escape="\\"))
    if filters.before is not None:
        cursor = aliased(AuditEntry)
        cursor_at = select(cursor.at).where(cursor.id == filters.before).scalar_subquery()
        conditions.append(or_(entry.at < cursor_at,
                              and_(entry.at == cursor_at, entry.id < filters.before)))
    return conditions


def _query(filters: AuditFilters, zone: ZoneInfo):
    actor, subject = aliased(User), aliased(User)
    return (select(AuditEntry.id, AuditEntry.at, AuditEntry.actor, AuditEntry.action,
                   AuditEntry.object_type, AuditEntry.object_id, AuditEntry.details,
                   actor.id.label("actor_user_id"), subject.id.label("object_user_id"))
            .outerjoin(actor, actor.username == AuditEntry.actor)
            .outerjoin(subject, and_(AuditEntry.object_type.in_(USER_OBJECTS),
                                     subject.username == AuditEntry.object_id))
            .where(*_conditions(filters, zone))
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()))


def entries(connection: Connection, filters: AuditFilters, zone: ZoneInfo,
            limit: int = PAGE_SIZE) -> tuple[list, int | None]:
    """One page of entries, newest first, and the ``before`` of the next (older) page."""
    rows = connection.execute(_query(filters, zone).limit(limit + 1)).all()
    next_before = rows[limit - 1].id if len(rows) > limit else None
    return rows[:limit], next_before


def stream(connection: Connection, filters: AuditFilters, zone: ZoneInfo,
           limit: int = EXPORT_LIMIT):
    """Every matching entry (at most ``limit``), newest first, fetched in batches."""
    result = connection.execution_options(yield_per=1000).execute(
        _query(filters, zone).limit(limit))
    yield from result


def object_types(connection: Connection) -> list[str]:
    """The object types the log names (for the filter's choices)."""
    return list(connection.scalars(select(AuditEntry.object_type).distinct()
                                   .order_by(AuditEntry.object_type)))


def actors(connection: Connection) -> list[str]:
    """The usernames of every user (for the filter's suggestions)."""
    return list(connection.scalars(select(User.username).order_by(User.username)))
