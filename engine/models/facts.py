"""Products and the facts imported from ERP/CRM exports: orders, payments, visits.

Money is exact: amounts are integer cents (``amount_cents``) and quantities integer
thousandths (``quantity_milli``), never binary floating point (SPEC §3.5).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, Index, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base
from .people import Customer, User


class Product(Base):
    """A product sold to customers; orders read its line and whether it is new."""

    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    product_line: Mapped[str | None] = mapped_column(String(100))
    is_new: Mapped[bool] = mapped_column(default=False, server_default=false())

    def __repr__(self) -> str:
        return f"<Product {self.code}>"


class Order(Base):
    """One order line; negative amounts are returns."""

    __tablename__ = "orders"
    # The evaluation's one pass per fact table reads a customer's facts in (customer, date)
    # order; indexes covering every aggregatable column let it read them from the index
    # alone, whatever order the import wrote the rows in (migration 0004).
    __table_args__ = (Index("ix_orders_customer_facts", "customer_id", "date", "product_id",
                            "amount_cents", "cost_cents", "quantity_milli"),
                      Index(None, "date"))

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[str] = mapped_column(String(100), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    date: Mapped[dt.date]
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    quantity_milli: Mapped[int | None] = mapped_column(BigInteger)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    cost_cents: Mapped[int | None] = mapped_column(BigInteger)

    customer: Mapped[Customer] = relationship()
    product: Mapped[Product] = relationship()


class Payment(Base):
    """An invoice and when (if ever) it was paid."""

    __tablename__ = "payments"
    __table_args__ = (Index("ix_payments_customer_facts", "customer_id", "invoice_date",
                            "paid_date", "amount_cents"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[str] = mapped_column(String(100), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    invoice_date: Mapped[dt.date]
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    paid_date: Mapped[dt.date | None]

    customer: Mapped[Customer] = relationship()


class Visit(Base):
    """A contact with a customer, imported or recorded by completing a visit or call task."""

    __tablename__ = "visits"
    # SOP compliance counts a customer's contacts on a channel in a range of days (0011).
    __table_args__ = (Index(None, "customer_id", "date"),
                      Index("ix_visits_customer_channel_date", "customer_id", "channel", "date"))

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[str] = mapped_column(String(100), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    rep_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    date: Mapped[dt.date]
    channel: Mapped[str] = mapped_column(String(50))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id"), index=True)

    customer: Mapped[Customer] = relationship()
    rep: Mapped[User | None] = relationship()
