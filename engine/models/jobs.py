"""Jobs: long work started from the web (an evaluation, a dry run, a large import), done by a
worker process (SPEC §5.3)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import CheckConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, check_in, json_column, nullable_json_column, utcnow

JOB_STATUSES = ("queued", "running", "done", "failed")


class Job(Base):
    """A piece of work, its claim by a worker, its progress and its outcome.

    ``claimed_by`` names the worker holding it; ``heartbeat_at`` is when that worker last showed
    it still works on it: a ``running`` job silent for a lease is taken over by another worker.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint(check_in("status", JOB_STATUSES), name="status"),
        Index(None, "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(50))
    params: Mapped[dict[str, Any]] = json_column()
    status: Mapped[str] = mapped_column(String(20), default="queued", server_default="queued")
    created_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    progress: Mapped[int] = mapped_column(default=0, server_default="0")
    progress_note: Mapped[str | None] = mapped_column(String(300))
    result: Mapped[dict[str, Any] | None] = nullable_json_column()
    error: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.kind} {self.status}>"
