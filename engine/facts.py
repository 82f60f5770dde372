"""The fact tables as expressions see them: table → column → type (SPEC §3.3)."""
from __future__ import annotations

from engine.expr import BOOLEAN, DATE, NUMBER, TEXT, decimal

MONEY = decimal(2)
QUANTITY = decimal(3)

FACT_COLUMNS = {
    "orders": {
        "order_id": TEXT, "customer": TEXT, "date": DATE, "product_code": TEXT,
        "product_line": TEXT, "product_is_new": BOOLEAN, "quantity": QUANTITY,
        "amount": MONEY, "cost": MONEY,
    },
    "payments": {
        "invoice_id": TEXT, "customer": TEXT, "invoice_date": DATE, "amount": MONEY,
        "paid_date": DATE, "days_to_pay": NUMBER,
    },
    "visits": {
        "visit_id": TEXT, "customer": TEXT, "rep": TEXT, "date": DATE, "channel": TEXT,
    },
}
WINDOW_COLUMN = {"orders": "date", "payments": "invoice_date", "visits": "date"}

CORE_ATTRIBUTES = ("code", "name", "type", "parent", "region", "city", "owner", "status")


def fact_env(table: str) -> dict:
    """The names an aggregate over ``table`` may use: ``table.column`` → type."""
    return {f"{table}.{col}": typ for col, typ in FACT_COLUMNS[table].items()}
