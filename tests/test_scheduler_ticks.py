"""Tick claims in the database, in-process: one winner, missed rows, heartbeats, lost claims."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from engine.db import transaction
from engine.models import AuditEntry, SchedulerTick
from engine.scheduler import ticks
from engine.scheduler.schedules import DueTicks
from engine.scheduler.ticks import Worker

T0 = datetime(2026, 4, 1, tzinfo=UTC)
NOW = T0 + timedelta(minutes=5)


def claim(engine, worker, latest=T0, missed=()):
    with transaction(engine) as session:
        return ticks.claim(session, "job", DueTicks(latest, tuple(missed), False), worker, NOW)


def test_only_the_first_claim_of_a_tick_wins(engine, session):
    first, second = Worker("h", 1, "a"), Worker("h", 2, "b")
    won = claim(engine, first, missed=[T0 - timedelta(days=2), T0 - timedelta(days=1)])
    assert won is not None and won.key == "job@2026-04-01T00:00:00Z"
    assert claim(engine, second, missed=[T0 - timedelta(days=1)]) is None
    rows = session.scalars(select(SchedulerTick).order_by(SchedulerTick.tick_at)).all()
    assert [(r.status, r.claimed_by) for r in rows] == [
        ("missed", "h:1:a"), ("missed", "h:1:a"), ("claimed", "h:1:a")]
    [entry] = session.scalars(select(AuditEntry)).all()
    assert (entry.action, entry.object_id, entry.details["missed"]) == (
        "scheduler.ticks_missed", "job", 2)


def test_heartbeat_renews_only_the_workers_own_claims(engine, session):
    mine, theirs = Worker("h", 1, "a"), Worker("h", 2, "b")
    tick = claim(engine, mine)
    other = claim(engine, theirs, latest=T0 + timedelta(days=1))
    later = NOW + timedelta(minutes=3)
    ticks.heartbeat(engine, [tick.id, other.id], mine, later)
    rows = {r.id: r.claimed_at for r in session.scalars(select(SchedulerTick))}
    assert rows == {tick.id: later, other.id: NOW}


def test_a_worker_whose_claim_was_taken_over_cannot_finish_it(engine, session):
    slow, rescuer = Worker("h", 1, "a"), Worker("h", 2, "b")
    tick = claim(engine, slow)
    [row] = ticks.abandoned(engine, rescuer, 60, NOW + timedelta(minutes=2))
    taken = ticks.take_over(engine, row, rescuer, NOW + timedelta(minutes=2))
    assert taken is not None and taken.taken_over_from == "h:1:a"
    assert ticks.take_over(engine, row, Worker("h", 3, "c"), NOW) is None
    assert not ticks.finish(engine, tick, slow, "done", None, {}, NOW)
    assert ticks.finish(engine, taken, rescuer, "done", None, {}, NOW)
    assert session.scalar(select(SchedulerTick.status)) == "done"


def test_owner_gone_only_for_a_dead_process_on_this_host():
    here = Worker.current()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    assert ticks.owner_is_gone(f"{here.host}:{dead}:x", here)
    assert not ticks.owner_is_gone(f"{here.host}:{os.getppid()}:x", here)
    assert not ticks.owner_is_gone(f"elsewhere:{dead}:x", here)
    assert ticks.owner_is_gone(f"{here.host}:{here.pid}:another-life", here)
    assert not ticks.owner_is_gone(here.name, here)
