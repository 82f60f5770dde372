"""The audit log and notifications to users (in-app, with e-mail and webhook delivery status)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, created_at_column, json_column, utcnow
from .people import User


class AuditEntry(Base):
    """Who did what to which object, and when: definition changes, overrides, imports…"""

    __tablename__ = "audit_log"
    __table_args__ = (Index(None, "object_type", "object_id"), Index(None, "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor: Mapped[str | None] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(100))
    object_type: Mapped[str] = mapped_column(String(50))
    object_id: Mapped[str] = mapped_column(String(200))
    details: Mapped[dict[str, Any]] = json_column()

    def __repr__(self) -> str:
        return f"<AuditEntry {self.action} {self.object_type}:{self.object_id} by {self.actor}>"


class Notification(Base):
    """A message to a user; ``user_id`` is null for one addressed to every admin."""

    __tablename__ = "notifications"
    __table_args__ = (Index(None, "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(50))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="", server_default="")
    payload: Mapped[dict[str, Any]] = json_column()
    created_at: Mapped[dt.datetime] = created_at_column()
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    email_status: Mapped[str | None] = mapped_column(String(50))
    webhook_status: Mapped[str | None] = mapped_column(String(50))

    user: Mapped[User | None] = relationship()
