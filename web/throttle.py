"""Sign-in throttling, shared by every worker process because it reads the audit log.

Each sign-in attempt is an audit entry (``login.succeeded``, ``login.failed``,
``login.refused``; object ``login``/username, the client address in ``details``). Before a
password is checked, the failures of the last ``window`` are counted in SQL, per username
(since that user's last success) and per address: from ``limit`` failures on, the next
attempt must wait ``base_delay`` after the latest failure, doubling with each further
failure, at most ``window``. Refused attempts are audited but do not lengthen the wait.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from engine import audit
from engine.models import AuditEntry

FAILED, SUCCEEDED, REFUSED = "login.failed", "login.succeeded", "login.refused"
OBJECT_TYPE = "login"
MAX_STORED = 200        # audit object ids are at most 200 characters


@dataclass(frozen=True)
class ThrottlePolicy:
    user_limit: int = 5
    address_limit: int = 20
    base_delay: timedelta = timedelta(seconds=30)
    window: timedelta = timedelta(minutes=15)

    def wait(self, failures: int, latest: datetime | None, limit: int,
             now: datetime) -> timedelta:
        """How long after ``now`` the next attempt must wait."""
        if failures < limit or latest is None:
            return timedelta(0)
        delay = min(self.base_delay * 2 ** (failures - limit), self.window)
        return max(latest + delay - now, timedelta(0))


def now() -> datetime:
    return datetime.now(UTC)


def retry_after(session: Session, username: str, address: str, policy: ThrottlePolicy,
                at: datetime) -> timedelta:
    """How long ``username`` from ``address`` must wait before trying again (0: may try)."""
    since = at - policy.window
    last_success = (select(func.max(AuditEntry.at))
                    .where(AuditEntry.action == SUCCEEDED, AuditEntry.object_type == OBJECT_TYPE,
                           AuditEntry.object_id == _stored(username))
                    .scalar_subquery())
    failed = (select(func.count(), func.max(AuditEntry.at))
              .where(AuditEntry.action == FAILED, AuditEntry.at >= since))
    user_row = session.execute(failed.where(
        AuditEntry.object_type == OBJECT_TYPE, AuditEntry.object_id == _stored(username),
        AuditEntry.at > func.coalesce(last_success, literal(since, AuditEntry.at.type)))).one()
    address_row = session.execute(failed.where(
        AuditEntry.details["address"].as_string() == address)).one()
    return max(policy.wait(*user_row, policy.user_limit, at),
               policy.wait(*address_row, policy.address_limit, at))


def record_attempt(session: Session, action: str, username: str, address: str,
                   at: datetime, **details) -> None:
    """Audit one attempt (the caller commits)."""
    entry = audit.record(session, username if action == SUCCEEDED else None, action,
                         OBJECT_TYPE, _stored(username), {"address": address, **details})
    entry.at = at


def _stored(username: str) -> str:
    return username[:MAX_STORED]
