"""Workflow runtime: each customer's state per workflow, and the tasks workflows create."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, check_in, created_at_column, utcnow
from .definitions import DefinitionVersion
from .people import Customer, User
from .runs import EvaluationRun

UNCLASSIFIED = "unclassified"
TASK_STATUSES = ("open", "in_progress", "done", "cancelled")


class WorkflowState(Base):
    """Where a customer stands in a workflow's state machine: ``unclassified`` or a segment."""

    __tablename__ = "workflow_states"
    __table_args__ = (UniqueConstraint("workflow_id", "customer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workflow_id: Mapped[str] = mapped_column(String(100))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    state: Mapped[str] = mapped_column(
        String(100), default=UNCLASSIFIED, server_default=UNCLASSIFIED
    )
    workflow_version_id: Mapped[int | None] = mapped_column(ForeignKey("definition_versions.id"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("evaluation_runs.id"))
    entered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    customer: Mapped[Customer] = relationship()


class Task(Base):
    """A piece of work created by a workflow template for one customer."""

    __tablename__ = "tasks"
    __table_args__ = (
        Index(None, "assignee_id", "status"),
        Index(None, "customer_id", "status"),
        Index(None, "workflow_id", "customer_id", "template", "status"),
        Index(None, "completed_at"),
        CheckConstraint(check_in("status", TASK_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workflow_id: Mapped[str] = mapped_column(String(100))
    workflow_version_id: Mapped[int | None] = mapped_column(ForeignKey("definition_versions.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("evaluation_runs.id"), index=True)
    template: Mapped[str] = mapped_column(String(100))
    segment: Mapped[str | None] = mapped_column(String(100))
    previous_segment: Mapped[str | None] = mapped_column(String(100))
    title: Mapped[dict[str, str]] = mapped_column(JSON)
    kind: Mapped[str] = mapped_column(String(50))
    channel: Mapped[str | None] = mapped_column(String(50))
    priority: Mapped[str | None] = mapped_column(String(20))
    recurring: Mapped[bool] = mapped_column(default=False, server_default=false())
    every_days: Mapped[int | None]
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(20), default="open", server_default="open")
    due_date: Mapped[dt.date]
    created_at: Mapped[dt.datetime] = created_at_column()
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    completed_by: Mapped[str | None] = mapped_column(String(100))
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    note: Mapped[str | None] = mapped_column(Text)
    # The occurrence this one follows, for recurring templates.
    previous_task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id"), index=True)
    # Derived from (run, workflow, customer, template) or the previous occurrence, so resuming
    # a run cannot create the same task twice.
    idempotency_key: Mapped[str] = mapped_column(String(300), unique=True)

    customer: Mapped[Customer] = relationship()
    assignee: Mapped[User | None] = relationship()
    run: Mapped[EvaluationRun | None] = relationship()
    workflow_version: Mapped[DefinitionVersion | None] = relationship()
    previous_task: Mapped[Task | None] = relationship(remote_side=[id])

    def __repr__(self) -> str:
        return f"<Task {self.id} {self.template} {self.status}>"
