"""Evaluation runs, the scores they store, segment overrides and scheduler ticks."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import (
    Base,
    UTCDateTime,
    check_in,
    created_at_column,
    json_column,
    nullable_json_column,
    utcnow,
)
from .definitions import DefinitionVersion
from .people import Customer

RUN_STATUSES = ("running", "completed", "failed")
RUN_TRIGGERS = ("cli", "scheduler", "web")
OVERRIDE_STATUSES = ("pending", "approved", "rejected", "cleared", "expired")
TICK_STATUSES = ("claimed", "done", "failed", "missed")


class EvaluationRun(Base):
    """One evaluation of a published ruleset version as of a date, with what it found."""

    __tablename__ = "evaluation_runs"
    __table_args__ = (
        Index(None, "ruleset_id", "as_of"),
        CheckConstraint(check_in("status", RUN_STATUSES), name="status"),
        CheckConstraint(check_in("trigger", RUN_TRIGGERS), name="trigger"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ruleset_id: Mapped[str] = mapped_column(String(100))
    ruleset_version_id: Mapped[int] = mapped_column(ForeignKey("definition_versions.id"))
    as_of: Mapped[dt.date]
    status: Mapped[str] = mapped_column(String(20), default="running", server_default="running")
    trigger: Mapped[str] = mapped_column(String(20))
    # The scheduler's "job@instant" claim: a unique key so a tick runs exactly once.
    tick_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    definition_versions: Mapped[list[int]] = json_column(list)
    splits: Mapped[dict[str, Any]] = json_column()
    counts: Mapped[dict[str, Any]] = json_column()
    migration: Mapped[dict[str, Any]] = json_column()
    warnings: Mapped[list[Any]] = json_column(list)
    timings: Mapped[dict[str, Any]] = json_column()
    format_version: Mapped[int] = mapped_column(default=1, server_default="1")
    error: Mapped[str | None] = mapped_column(Text)

    ruleset_version: Mapped[DefinitionVersion] = relationship()

    def __repr__(self) -> str:
        return f"<EvaluationRun {self.id} {self.ruleset_id} as of {self.as_of} {self.status}>"


class CustomerScore(Base):
    """A customer's result in one run, with the per-metric breakdown that explains it."""

    __tablename__ = "customer_scores"
    # The reports read a run's segments from an index alone (migration 0011).
    __table_args__ = (UniqueConstraint("run_id", "customer_id"), Index(None, "customer_id"),
                      Index("ix_customer_scores_run_segments", "run_id", "customer_id",
                            "effective_segment"))

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("evaluation_runs.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    segment: Mapped[str | None] = mapped_column(String(100))
    previous_segment: Mapped[str | None] = mapped_column(String(100))
    effective_segment: Mapped[str | None] = mapped_column(String(100))
    axes: Mapped[dict[str, Any]] = json_column()
    metrics: Mapped[dict[str, Any]] = json_column()
    sides: Mapped[dict[str, str] | None] = nullable_json_column()

    run: Mapped[EvaluationRun] = relationship()
    customer: Mapped[Customer] = relationship()


class SegmentOverride(Base):
    """A challenge to a customer's computed segment; once approved it pins it until ``until``."""

    __tablename__ = "segment_overrides"
    __table_args__ = (
        Index(None, "customer_id", "ruleset_id", "status"),
        CheckConstraint(check_in("status", OVERRIDE_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    ruleset_id: Mapped[str] = mapped_column(String(100))
    segment: Mapped[str] = mapped_column(String(100))
    until: Mapped[dt.date]
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending", server_default="pending")
    requested_by: Mapped[str] = mapped_column(String(100))
    decided_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = created_at_column()
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    customer: Mapped[Customer] = relationship()


class SchedulerTick(Base):
    """A scheduled job's firing time, claimed by one scheduler process so it runs once."""

    __tablename__ = "scheduler_ticks"
    __table_args__ = (
        UniqueConstraint("job_key", "tick_at"),
        CheckConstraint(check_in("status", TICK_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_key: Mapped[str] = mapped_column(String(200))
    tick_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(20), default="claimed", server_default="claimed")
    claimed_by: Mapped[str] = mapped_column(String(200))
    claimed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    run_id: Mapped[int | None] = mapped_column(ForeignKey("evaluation_runs.id"))
    details: Mapped[dict[str, Any]] = json_column()

    run: Mapped[EvaluationRun | None] = relationship()
