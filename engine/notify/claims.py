"""Claiming notifications per channel so that two workers never send the same one.

A channel's status column (``email_status``, ``webhook_status``) reads:

- NULL: pending;
- ``claimed:<unix seconds>:<token>``: a worker is sending it (the token is the worker's batch);
  a claim older than the lease is taken as abandoned (the worker died) and made pending again;
- ``sent:<attempts>``, ``failed:<attempts>``: the outcome and how many tries it took;
- ``skipped:<reason>``: not sent (``off``: channel not configured, ``no-address``, ``inactive``).

Claims are compare-and-set updates (``… WHERE status IS NULL``), so only one worker wins a row.
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from engine.db import transaction
from engine.models import Notification, utcnow

CLAIMED = "claimed"


def column_of(channel: str) -> InstrumentedAttribute:
    return getattr(Notification, f"{channel}_status")


def _claim_status(now: datetime) -> str:
    return f"{CLAIMED}:{int(now.timestamp())}:{secrets.token_hex(4)}"


def _claimed_at(status: str) -> datetime | None:
    parts = status.split(":")
    if len(parts) != 3 or parts[0] != CLAIMED or not parts[1].isdigit():
        return None
    return datetime.fromtimestamp(int(parts[1]), tz=utcnow().tzinfo)


def claim_batch(engine: Engine, channel: str, limit: int) -> tuple[str, list[int]]:
    """Claim up to ``limit`` pending notifications, oldest first: ``(claim, ids)``."""
    column = column_of(channel)
    claim = _claim_status(utcnow())
    # Two statements, not UPDATE … WHERE id IN (SELECT … LIMIT n): PostgreSQL may run such a
    # subquery again for every row and so claim far more than n rows.
    pick = (select(Notification.id).where(column.is_(None)).order_by(Notification.id)
            .limit(limit).with_for_update(skip_locked=True))
    with transaction(engine) as session:
        picked = session.scalars(pick).all()
        if not picked:
            return claim, []
        # "IS NULL" again: without row locks (SQLite) the write lock already keeps others out.
        ids = session.scalars(update(Notification)
                              .where(Notification.id.in_(picked), column.is_(None))
                              .values({column: claim}).returning(Notification.id)
                              .execution_options(synchronize_session=False)).all()
    return claim, sorted(ids)


def finish(session: Session, channel: str, notification_id: int, claim: str,
           status: str) -> bool:
    """Record the outcome of a claimed row; False if the claim was lost (lease expired)."""
    column = column_of(channel)
    statement = (update(Notification)
                 .where(Notification.id == notification_id, column == claim)
                 .values({column: status}).execution_options(synchronize_session=False))
    return session.execute(statement).rowcount == 1


def release_abandoned(engine: Engine, channel: str, lease_seconds: float) -> list[int]:
    """Make claims older than the lease pending again; the ids released."""
    column = column_of(channel)
    cutoff = utcnow() - timedelta(seconds=lease_seconds)
    released = []
    with transaction(engine) as session:
        rows = session.execute(select(Notification.id, column)
                               .where(column.like(f"{CLAIMED}:%"))).all()
        for notification_id, status in rows:
            claimed_at = _claimed_at(status)
            if claimed_at is not None and claimed_at >= cutoff:
                continue
            done = session.execute(update(Notification)
                                   .where(Notification.id == notification_id, column == status)
                                   .values({column: None})
                                   .execution_options(synchronize_session=False))
            if done.rowcount == 1:
                released.append(notification_id)
    return released


def skip_pending(engine: Engine, channel: str, reason: str) -> int:
    """Mark every pending row of ``channel`` as skipped; how many there were."""
    column = column_of(channel)
    with transaction(engine) as session:
        result = session.execute(update(Notification).where(column.is_(None))
                                 .values({column: f"skipped:{reason}"})
                                 .execution_options(synchronize_session=False))
        return result.rowcount
