"""Scheduler ticks in the database: claimed once, finished once, taken over when abandoned.

A tick is a job's fire time. Whoever INSERTs the ``(job_key, tick_at)`` row runs it; the others
skip it. Fire times that passed while no scheduler ran are written as ``missed`` rows beside the
one that runs for them, and to the audit log. A ``claimed`` tick whose owner died (a process on
this host that is gone, or no heartbeat for a lease) is taken over by another process.
"""
from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from engine import audit
from engine.db import transaction
from engine.models import SchedulerTick
from engine.scheduler.schedules import DueTicks

ACTOR = "scheduler"


@dataclass(frozen=True)
class Worker:
    """This scheduler process, as written in ``claimed_by``: ``host:pid:token``."""

    host: str
    pid: int
    token: str

    @classmethod
    def current(cls) -> Worker:
        return cls(socket.gethostname(), os.getpid(), secrets.token_hex(4))

    @property
    def name(self) -> str:
        return f"{self.host}:{self.pid}:{self.token}"


def owner_is_gone(claimed_by: str, here: Worker) -> bool:
    """True when ``claimed_by`` names a process on this host that no longer runs."""
    parts = claimed_by.rsplit(":", 2)
    if len(parts) != 3 or parts[0] != here.host or not parts[1].isdigit():
        return False
    pid = int(parts[1])
    if pid == here.pid:
        return parts[2] != here.token
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


@dataclass(frozen=True)
class Tick:
    """A tick this process holds and must run."""

    id: int
    job_key: str
    tick_at: datetime
    taken_over_from: str | None = None

    @property
    def key(self) -> str:
        """``job@instant``: what the run made for this tick is known by (``tick_key``)."""
        return f"{self.job_key}@{self.tick_at.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"


def _insert(session: Session):
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(SchedulerTick)


def last_tick_at(session: Session, job_key: str) -> datetime | None:
    return session.scalar(select(func.max(SchedulerTick.tick_at))
                          .where(SchedulerTick.job_key == job_key))


def claim(session: Session, job_key: str, due: DueTicks, worker: Worker,
          now: datetime) -> Tick | None:
    """Claim ``due.latest`` and write the ticks it stands for as missed; None if another won."""
    tick_id = session.scalar(
        _insert(session).values(job_key=job_key, tick_at=due.latest, status="claimed",
                                claimed_by=worker.name, claimed_at=now, details={})
        .on_conflict_do_nothing(index_elements=["job_key", "tick_at"])
        .returning(SchedulerTick.id))
    if tick_id is None:
        return None
    if due.missed:
        ran = due.latest.astimezone(UTC).isoformat()
        rows = [dict(job_key=job_key, tick_at=at, status="missed", claimed_by=worker.name,
                     claimed_at=now, finished_at=now, details={"coalesced_into": ran})
                for at in due.missed]
        written = session.scalars(_insert(session).values(rows)
                                  .on_conflict_do_nothing(index_elements=["job_key", "tick_at"])
                                  .returning(SchedulerTick.tick_at)).all()
        if written:
            audit.record(session, ACTOR, "scheduler.ticks_missed", "scheduler_job", job_key, {
                "missed": len(written), "more_not_listed": due.more_missed,
                "first": min(written).astimezone(UTC).isoformat(),
                "last": max(written).astimezone(UTC).isoformat(), "run_instead": ran,
                "worker": worker.name})
    return Tick(tick_id, job_key, due.latest)


def abandoned(engine: Engine, worker: Worker, lease_seconds: float, now: datetime,
              job_key: str | None = None) -> list[SchedulerTick]:
    """Claimed ticks of other workers that died (gone from this host, or silent for a lease)."""
    query = select(SchedulerTick).where(SchedulerTick.status == "claimed",
                                        SchedulerTick.claimed_by != worker.name)
    if job_key is not None:
        query = query.where(SchedulerTick.job_key == job_key)
    with Session(engine) as session:
        rows = session.scalars(query.order_by(SchedulerTick.tick_at)).all()
        session.expunge_all()
    cutoff = now - timedelta(seconds=lease_seconds)
    return [r for r in rows if r.claimed_at < cutoff or owner_is_gone(r.claimed_by, worker)]


def take_over(engine: Engine, row: SchedulerTick, worker: Worker, now: datetime) -> Tick | None:
    """Move an abandoned claim to ``worker`` (compare-and-set on the old owner)."""
    with transaction(engine) as session:
        moved = session.execute(
            update(SchedulerTick)
            .where(SchedulerTick.id == row.id, SchedulerTick.status == "claimed",
                   SchedulerTick.claimed_by == row.claimed_by)
            .values(claimed_by=worker.name, claimed_at=now,
                    details={**(row.details or {}), "taken_over_from": row.claimed_by})
            .execution_options(synchronize_session=False))
        if moved.rowcount != 1:
            return None
        audit.record(session, ACTOR, "scheduler.tick_taken_over", "scheduler_tick", row.id, {
            "job": row.job_key, "tick_at": row.tick_at.isoformat(),
            "previous_owner": row.claimed_by, "worker": worker.name})
    return Tick(row.id, row.job_key, row.tick_at, taken_over_from=row.claimed_by)


def finish(engine: Engine, tick: Tick, worker: Worker, status: str, run_id: int | None,
           details: dict[str, Any], now: datetime) -> bool:
    """Record how a tick ended; False when the claim had passed to another worker."""
    with transaction(engine) as session:
        row = session.get(SchedulerTick, tick.id)
        if row is None or row.status != "claimed" or row.claimed_by != worker.name:
            return False
        row.status, row.run_id, row.finished_at = status, run_id, now
        row.details = {**(row.details or {}), **details}
        if status == "failed":
            audit.record(session, ACTOR, "scheduler.tick_failed", "scheduler_tick", tick.id,
                         {"job": tick.job_key, "tick_at": tick.tick_at.isoformat(), **details})
    return True


def heartbeat(engine: Engine, tick_ids: list[int], worker: Worker, now: datetime) -> None:
    """Show that ``worker`` still runs these ticks, so nobody takes them over."""
    if not tick_ids:
        return
    with transaction(engine) as session:
        session.execute(update(SchedulerTick)
                        .where(SchedulerTick.id.in_(tick_ids),
                               SchedulerTick.claimed_by == worker.name,
                               SchedulerTick.status == "claimed")
                        .values(claimed_at=now).execution_options(synchronize_session=False))
