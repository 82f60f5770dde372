"""The fact tables as SQL: each expression column of SPEC §3.3 mapped to stored columns.

Money and quantities are read as their scaled integers (cents, thousandths), matching the
``decimal`` types of :data:`engine.facts.FACT_COLUMNS`; product, rep and customer attributes
come from joins made only when an expression names them.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy import ColumnElement, Date, Select, case, literal, select
from sqlalchemy.sql import FromClause

from engine.expr.sql_constructs import days_between
from engine.facts import FACT_COLUMNS, WINDOW_COLUMN
from engine.models import Customer, Order, Payment, Product, User, Visit

FACT_MODELS = {"orders": Order, "payments": Payment, "visits": Visit}


@dataclass
class FactSource:
    """One fact table aliased for a query, with the joins its expressions need."""

    table: str
    as_of: dt.date
    joins: dict[str, FromClause] = field(default_factory=dict)

    def __post_init__(self):
        self.fact = FACT_MODELS[self.table].__table__.alias("f")

    @property
    def customer_id(self) -> ColumnElement:
        return self.fact.c.customer_id

    @property
    def day(self) -> ColumnElement:
        """The column the window applies to."""
        return self.fact.c[WINDOW_COLUMN[self.table]]

    def column(self, name: str) -> ColumnElement:
        """The SQL for expression name ``table.column`` (``as_of`` is a literal date)."""
        if name == "as_of":
            return literal(self.as_of, Date)
        table, _, column = name.partition(".")
        if table != self.table or column not in FACT_COLUMNS[table]:
            raise KeyError(name)
        return _COLUMNS[table][column](self)

    def joined(self, _name: str, make: Callable[[], FromClause]) -> FromClause:
        if _name not in self.joins:
            self.joins[_name] = make()
        return self.joins[_name]

    def product(self) -> FromClause:
        return self.joined("product", lambda: Product.__table__.alias("p"))

    def customer(self) -> FromClause:
        return self.joined("customer", lambda: Customer.__table__.alias("c"))

    def rep(self) -> FromClause:
        return self.joined("rep", lambda: User.__table__.alias("u"))

    def select_from(self, *columns) -> Select:
        """``SELECT columns FROM fact`` with every join an expression asked for."""
        source = self.fact
        if "product" in self.joins:
            product = self.joins["product"]
            source = source.join(product, product.c.id == self.fact.c.product_id)
        if "customer" in self.joins:
            customer = self.joins["customer"]
            source = source.join(customer, customer.c.id == self.fact.c.customer_id)
        if "rep" in self.joins:
            rep = self.joins["rep"]
            source = source.outerjoin(rep, rep.c.id == self.fact.c.rep_id)
        return select(*columns).select_from(source)


def _days_to_pay(source: FactSource) -> ColumnElement:
    """``min(paid_date or as_of, as_of) − invoice_date`` in days: measured to ``as_of``."""
    paid, as_of = source.fact.c.paid_date, literal(source.as_of, Date)
    settled = case((paid.is_(None), as_of), (paid > as_of, as_of), else_=paid)
    return days_between(source.fact.c.invoice_date, settled)


def _own(column: str) -> Callable[[FactSource], ColumnElement]:
    return lambda source: source.fact.c[column]


_CUSTOMER_CODE = {"customer": lambda source: source.customer().c.code}
_COLUMNS: dict[str, dict[str, Callable[[FactSource], ColumnElement]]] = {
    "orders": {
        "order_id": _own("order_id"), "date": _own("date"),
        "product_code": lambda source: source.product().c.code,
        "product_line": lambda source: source.product().c.product_line,
        "product_is_new": lambda source: source.product().c.is_new,
        "quantity": _own("quantity_milli"), "amount": _own("amount_cents"),
        "cost": _own("cost_cents"), **_CUSTOMER_CODE,
    },
    "payments": {
        "invoice_id": _own("invoice_id"), "invoice_date": _own("invoice_date"),
        "amount": _own("amount_cents"), "paid_date": _own("paid_date"),
        "days_to_pay": _days_to_pay, **_CUSTOMER_CODE,
    },
    "visits": {
        "visit_id": _own("visit_id"), "date": _own("date"), "channel": _own("channel"),
        "rep": lambda source: source.rep().c.username, **_CUSTOMER_CODE,
    },
}
