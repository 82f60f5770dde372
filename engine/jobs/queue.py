"""The jobs table as a queue: enqueue, claim exactly once, heartbeat and progress, finish.

Every write after the claim is fenced by the claim: it changes the job only while
``claimed_by`` is still this worker and the job still ``running``, so a worker whose job was
taken over cannot overwrite the new owner's progress or outcome.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, or_, select, update
from sqlalchemy.orm import Session

from engine import audit
from engine.db import transaction
from engine.errors import NotFound
from engine.models import Job, utcnow
from engine.scheduler.ticks import Worker, owner_is_gone

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
MAX_ATTEMPTS = 3            # a job whose workers died this often is failed, not retried
NOTE_LENGTH = 300


@dataclass(frozen=True)
class Claim:
    """A job this worker holds: what to do, and the attempt it is."""

    id: int
    kind: str
    params: dict[str, Any]
    attempt: int
    taken_over_from: str | None = None

    @property
    def key(self) -> str:
        """The idempotency key of the job's effects (the same on every attempt)."""
        return f"job:{self.id}"


def enqueue(session: Session, kind: str, params: dict[str, Any], actor: str | None) -> Job:
    """Record a job for a worker; it is claimed once the transaction commits."""
    job = Job(kind=kind, params=params, status=QUEUED, created_by=actor, created_at=utcnow())
    session.add(job)
    session.flush()
    audit.record(session, actor, "job.enqueue", "job", job.id, {"kind": kind, "params": params})
    return job


def get_job(session: Session, job_id: int) -> Job:
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound("job", job_id)
    return job


def _claimable(cutoff: datetime):
    return or_(Job.status == QUEUED, and_(Job.status == RUNNING, Job.heartbeat_at < cutoff))


def claim(engine: Engine, worker: Worker, lease_seconds: float,
          now: datetime | None = None) -> Claim | None:
    """Claim the oldest queued job, or a running one whose worker fell silent for a lease."""
    now = now or utcnow()
    cutoff = now - timedelta(seconds=lease_seconds)
    with transaction(engine) as session:
        query = select(Job).where(_claimable(cutoff)).order_by(Job.id).limit(1)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        job = session.scalar(query)
        if job is None:
            return None
        return _take(session, job, worker, now)


def claim_abandoned(engine: Engine, worker: Worker, now: datetime | None = None) -> Claim | None:
    """Take over a running job whose worker process is gone from this host, without waiting
    for its lease (a killed ``kamflow worker`` on this machine)."""
    now = now or utcnow()
    with Session(engine) as session:
        owners = session.execute(select(Job.id, Job.claimed_by).where(
            Job.status == RUNNING, Job.claimed_by != worker.name)).all()
    for job_id, owner in owners:
        if owner and owner_is_gone(owner, worker):
            with transaction(engine) as session:
                job = session.get(Job, job_id)
                if job is not None and job.status == RUNNING and job.claimed_by == owner:
                    return _take(session, job, worker, now)
    return None


def _take(session: Session, job: Job, worker: Worker, now: datetime) -> Claim | None:
    previous = job.claimed_by if job.status == RUNNING else None
    if previous is not None and job.attempts >= MAX_ATTEMPTS:
        job.status, job.finished_at = FAILED, now
        job.error = (f"its worker stopped {job.attempts} times without finishing "
                     f"(last: {previous}); not tried again")
        audit.record(session, "worker", "job.fail", "job", job.id, {"error": job.error})
        return None
    job.status, job.claimed_by, job.heartbeat_at = RUNNING, worker.name, now
    job.started_at = job.started_at or now
    job.attempts += 1
    if previous is not None:
        audit.record(session, "worker", "job.take_over", "job", job.id,
                     {"previous_owner": previous, "worker": worker.name})
    return Claim(job.id, job.kind, dict(job.params or {}), job.attempts, previous)


def _fenced(claim_: Claim, worker: Worker):
    return and_(Job.id == claim_.id, Job.status == RUNNING, Job.claimed_by == worker.name)


def heartbeat(engine: Engine, claim_: Claim, worker: Worker, progress: int | None = None,
              note: str | None = None) -> bool:
    """Show the job is still worked on (and how far); False when it is no longer ours."""
    values: dict[str, Any] = {"heartbeat_at": utcnow()}
    if progress is not None:
        values["progress"] = max(0, min(100, int(progress)))
    if note is not None:
        values["progress_note"] = note[:NOTE_LENGTH]
    with transaction(engine) as session:
        moved = session.execute(update(Job).where(_fenced(claim_, worker)).values(**values)
                                .execution_options(synchronize_session=False))
        return moved.rowcount == 1


def finish(engine: Engine, claim_: Claim, worker: Worker, result: dict[str, Any] | None = None,
           error: str | None = None) -> bool:
    """Store the job's outcome: its result, or its error. False if the claim was lost."""
    values: dict[str, Any] = {"status": FAILED if error else DONE, "finished_at": utcnow(),
                              "result": result, "error": error}
    if not error:
        values["progress"] = 100
    with transaction(engine) as session:
        moved = session.execute(update(Job).where(_fenced(claim_, worker)).values(**values)
                                .execution_options(synchronize_session=False))
        if moved.rowcount == 1 and error:
            audit.record(session, "worker", "job.fail", "job", claim_.id, {"error": error[:500]})
        return moved.rowcount == 1
