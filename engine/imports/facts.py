"""Import kinds for facts from ERP/CRM exports: orders, payments, visits.

A fact's customer must be stored already (a merged customer's former code leads to the one
kept), as must an order's product and a visit's rep. Money is exact: amounts are staged as
integer cents and quantities as thousandths (SPEC §3.5).
"""
from __future__ import annotations

from sqlalchemy import BigInteger, Column as SqlColumn, Date, Integer, String, Table

from engine.imports import references
from engine.imports.cells import code, date, fixed_point
from engine.imports.kinds import Column, Kind, RowStager, id_column, register, text_column
from engine.imports.problems import ProblemLog
from engine.models import Order, Payment, Visit

AMOUNT = fixed_point(2, "an amount in yuan")
QUANTITY = fixed_point(3, "a quantity")
# A reference is looked up, not stored: an over-long one is simply unknown.
REFERENCE = code(None)


class FactKind(Kind):
    """A fact table whose rows point at a customer."""

    sources = {"customer_id": "customer", "product_id": "product_code", "rep_id": "rep",
               "quantity_milli": "quantity", "amount_cents": "amount", "cost_cents": "cost"}

    def target_values(self, stage: Table, dialect: str) -> dict:
        return {c.name: stage.c[c.name] for c in self.staging_columns()[1:]}


class OrderStager(RowStager):
    def __init__(self, connection):
        self.customers = references.customer_ids(connection)
        self.products = references.product_ids(connection)

    def stage(self, row: int, values: dict, extra: dict, log: ProblemLog) -> tuple:
        customer = references.resolve(self.customers, row, "customer", values["customer"],
                                      references.KNOWN_CUSTOMER, log)
        product = references.resolve(self.products, row, "product_code",
                                     values["product_code"], references.KNOWN_PRODUCT, log)
        return (row, values["order_id"], customer, values["date"], product,
                values["quantity"], values["amount"], values["cost"])


@register
class Orders(FactKind):
    """orders: order_id, customer, date, product_code, quantity, amount, cost."""

    name = "orders"
    table = Order.__table__
    key = "order_id"
    columns = (
        id_column("order_id", Order.order_id, required=True),
        Column("customer", REFERENCE, required=True),
        Column("date", date, required=True),
        Column("product_code", REFERENCE, required=True),
        Column("quantity", QUANTITY),
        Column("amount", AMOUNT, required=True),
        Column("cost", AMOUNT),
    )

    def stage_columns(self):
        return [SqlColumn("customer_id", Integer), SqlColumn("date", Date),
                SqlColumn("product_id", Integer), SqlColumn("quantity_milli", BigInteger),
                SqlColumn("amount_cents", BigInteger), SqlColumn("cost_cents", BigInteger)]

    def begin(self, connection) -> RowStager:
        return OrderStager(connection)


class PaymentStager(RowStager):
    def __init__(self, connection):
        self.customers = references.customer_ids(connection)

    def stage(self, row: int, values: dict, extra: dict, log: ProblemLog) -> tuple:
        customer = references.resolve(self.customers, row, "customer", values["customer"],
                                      references.KNOWN_CUSTOMER, log)
        invoiced, paid = values["invoice_date"], values["paid_date"]
        # Both are YYYY-MM-DD text here, which sorts as the dates do.
        if invoiced is not None and paid is not None and paid < invoiced:
            log.cell(row, "paid_date", f"a date on or after the invoice_date {invoiced}", paid)
        return (row, values["invoice_id"], customer, invoiced, values["amount"], paid)


@register
class Payments(FactKind):
    """payments: invoice_id, customer, invoice_date, amount, paid_date (empty: unpaid)."""

    name = "payments"
    table = Payment.__table__
    key = "invoice_id"
    columns = (
        id_column("invoice_id", Payment.invoice_id, required=True),
        Column("customer", REFERENCE, required=True),
        Column("invoice_date", date, required=True),
        Column("amount", AMOUNT, required=True),
        Column("paid_date", date),
    )

    def stage_columns(self):
        return [SqlColumn("customer_id", Integer), SqlColumn("invoice_date", Date),
                SqlColumn("amount_cents", BigInteger), SqlColumn("paid_date", Date)]

    def begin(self, connection) -> RowStager:
        return PaymentStager(connection)


class VisitStager(RowStager):
    def __init__(self, connection):
        self.customers = references.customer_ids(connection)
        self.users = references.user_ids(connection)

    def stage(self, row: int, values: dict, extra: dict, log: ProblemLog) -> tuple:
        customer = references.resolve(self.customers, row, "customer", values["customer"],
                                      references.KNOWN_CUSTOMER, log)
        rep = references.resolve(self.users, row, "rep", values["rep"],
                                 references.KNOWN_USER, log)
        return (row, values["visit_id"], customer, rep, values["date"], values["channel"])


@register
class Visits(FactKind):
    """visits: visit_id, customer, rep (may be empty), date, channel."""

    name = "visits"
    table = Visit.__table__
    key = "visit_id"
    columns = (
        id_column("visit_id", Visit.visit_id, required=True),
        Column("customer", REFERENCE, required=True),
        Column("rep", REFERENCE),
        Column("date", date, required=True),
        text_column("channel", Visit.channel, required=True),
    )

    def stage_columns(self):
        return [SqlColumn("customer_id", Integer), SqlColumn("rep_id", Integer),
                SqlColumn("date", Date), SqlColumn("channel", String)]

    def begin(self, connection) -> RowStager:
        return VisitStager(connection)
