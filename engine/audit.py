"""The audit log: every definition change and override, with who and when."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy.orm import Session

from engine.models import AuditEntry


def record(session: Session, actor: str | None, action: str, object_type: str,
           object_id: object, details: dict | None = None) -> AuditEntry:
    """Add one audit entry to ``session`` (it commits with the change it describes)."""
    entry = AuditEntry(at=datetime.now(timezone.utc), actor=actor, action=action,
                       object_type=object_type, object_id=str(object_id), details=details or {})
    session.add(entry)
    return entry
