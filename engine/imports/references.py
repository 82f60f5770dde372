"""Codes and usernames in the database, loaded once per import to resolve a file's references.

What is kept is proportional to the master data (customers, products, users), never to the
file being imported.
"""
from __future__ import annotations

from sqlalchemy import select

from engine.customers.merged import live
from engine.imports.problems import ProblemLog
from engine.models import Customer, CustomerAlias, Product, User

KNOWN_CUSTOMER = "the code of a known customer"
KNOWN_PRODUCT = "the code of a known product"
KNOWN_USER = "the username of a known user"


def customer_ids(connection) -> dict[str, int]:
    """Customer code → id; the former code of a merged customer leads to the one kept."""
    ids = dict(connection.execute(
        select(CustomerAlias.former_code, CustomerAlias.customer_id)
        .where(CustomerAlias.former_code.is_not(None)).order_by(CustomerAlias.id)).all())
    ids.update(connection.execute(select(Customer.code, Customer.id).where(live())).all())
    return ids


def product_ids(connection) -> dict[str, int]:
    return dict(connection.execute(select(Product.code, Product.id)).all())


def user_ids(connection) -> dict[str, int]:
    return dict(connection.execute(select(User.username, User.id)).all())


def resolve(ids: dict[str, int], row: int, column: str, value: str | None, expected: str,
            log: ProblemLog) -> int | None:
    """The id ``value`` names (``None`` for an empty cell); an unknown one is a problem."""
    if value is None:
        return None
    found = ids.get(value)
    if found is None:
        log.cell(row, column, expected, value)
    return found
