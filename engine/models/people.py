"""Users and customers: the master data that facts, scores and tasks point at."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, func, text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, check_in, created_at_column, utcnow

ROLES = ("admin", "manager", "rep", "staff")
# In rank order: a minimum seniority admits this one and every later one.
SENIORITIES = ("junior", "regular", "senior")
# The statuses a file or a user may give a customer. A merge sets a third, MERGED, that only
# ``engine.customers.merge`` writes: the row stays so that stored runs keep its scores.
CUSTOMER_STATUSES = ("active", "inactive")
MERGED = "merged"


class User(Base):
    """A person who signs in, owns customers or is assigned tasks."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(check_in("role", ROLES), name="role"),
        CheckConstraint(check_in("seniority", SENIORITIES), name="seniority"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    seniority: Mapped[str | None] = mapped_column(String(20))
    team: Mapped[str | None] = mapped_column(String(100))
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    email: Mapped[str | None] = mapped_column(String(320))
    locale: Mapped[str] = mapped_column(String(10), default="zh", server_default="zh")
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    password_hash: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = created_at_column()

    manager: Mapped[User | None] = relationship(remote_side=[id])

    def __repr__(self) -> str:
        return f"<User {self.username} ({self.role})>"


class Customer(Base):
    """A hospital, pharmacy, doctor…: core attributes plus the profile of its type's form.

    A merged customer (status ``merged``) is history, not a live customer: its facts, tasks and
    children moved to ``merged_into``, and it stays only so that stored runs keep its scores.
    Every list of live customers (duplicates, web lists, the API) skips it: see
    ``engine.customers.merged.live``.
    """

    __tablename__ = "customers"
    __table_args__ = (
        Index(None, "type", "status"),
        # The customer list: sorted by name a page at a time, and limited to owners.
        Index(None, "name", "id"),
        Index(None, "owner_id"),
        # Filters by place, and the duplicate hint's same-city candidates.
        Index(None, "city"),
        Index(None, "region"),
        # Merged exactly when it names the customer it was merged into, and when.
        CheckConstraint(f"(status = '{MERGED}' AND merged_into_id IS NOT NULL "
                        f"AND merged_at IS NOT NULL) OR (status <> '{MERGED}' "
                        f"AND merged_into_id IS NULL AND merged_at IS NULL)", name="merged"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    normalized_name: Mapped[str] = mapped_column(String(300), index=True)
    type: Mapped[str] = mapped_column(String(50))
    parent_code: Mapped[str | None] = mapped_column(String(100))
    region: Mapped[str | None] = mapped_column(String(100))
    city: Mapped[str | None] = mapped_column(String(100))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(20), default="active", server_default="active")
    profile: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default=text("'{}'"))
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    merged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = created_at_column()
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, server_default=func.now()
    )

    owner: Mapped[User | None] = relationship()
    aliases: Mapped[list[CustomerAlias]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", passive_deletes=True
    )

    def __repr__(self) -> str:
        return f"<Customer {self.code} {self.name}>"


class CustomerAlias(Base):
    """Another name (and former code) of a customer, kept when duplicates are merged."""

    __tablename__ = "customer_aliases"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(300))
    normalized_name: Mapped[str] = mapped_column(String(300), index=True)
    former_code: Mapped[str | None] = mapped_column(String(100), index=True)
    created_at: Mapped[dt.datetime] = created_at_column()

    customer: Mapped[Customer] = relationship(back_populates="aliases")
