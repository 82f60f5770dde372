"""Golden customers: customers an admin pins with the segment a ruleset must keep giving them."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, created_at_column
from .people import Customer


class GoldenCustomer(Base):
    """One expectation: ruleset ``ruleset_id`` (a ruleset's def_id) should classify the customer
    as ``expected_segment``; a draft that does not is shown before it is published."""

    __tablename__ = "golden_customers"
    __table_args__ = (UniqueConstraint("ruleset_id", "customer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ruleset_id: Mapped[str] = mapped_column(String(100))
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    expected_segment: Mapped[str] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = created_at_column()

    customer: Mapped[Customer] = relationship()

    def __repr__(self) -> str:
        return f"<GoldenCustomer {self.ruleset_id} {self.customer_id} → {self.expected_segment}>"
