"""Merged customers: history that stored runs keep, out of every list of live customers.

A merge (``engine.customers.merge``) does not delete the dropped customer: its row stays with
status ``merged``, ``merged_into_id`` and ``merged_at``, so that the scores of stored runs still
join to its code and old runs export and explain as they were. It is out of every evaluation
scope (scope is status ``active``, compared exactly), and every list or lookup of live
customers must skip it with ``live()``: duplicates do; web lists, the API, overrides and
imports resolving a code must too (a merged code leads to the kept customer through the
``former_code`` alias, see ``engine.imports.references``).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Connection, Table, select
from sqlalchemy.orm import Session, aliased

from engine.config import load_settings
from engine.errors import NotFound
from engine.models import Customer, CustomerAlias
from engine.models.people import MERGED

CUSTOMERS = Customer.__table__


def live(customers: Table = CUSTOMERS) -> ColumnElement[bool]:
    """The condition on ``customers`` of being a live customer, not a merged one."""
    return customers.c.merged_into_id.is_(None)


@dataclass(frozen=True)
class MergeNote:
    """That ``code`` was merged into ``merged_into`` at ``merged_at``."""

    code: str
    merged_into: str
    merged_at: dt.datetime

    def text(self) -> str:
        day = self.merged_at.astimezone(ZoneInfo(load_settings().timezone)).date()
        return f"{self.code} was merged into {self.merged_into} on {day.isoformat()}"


def merge_note(session: Session, code: str) -> MergeNote | None:
    """How the customer ``code`` was merged away, or ``None`` if it is live (or unknown)."""
    kept = aliased(Customer)
    row = session.execute(
        select(Customer.code, kept.code, Customer.merged_at)
        .join(kept, kept.id == Customer.merged_into_id)
        .where(Customer.code == code, Customer.status == MERGED)).first()
    return MergeNote(*row) if row else None


def live_successor(session: Session, code: str) -> str | None:
    """The live customer that a merged code leads to now (merges may chain), else ``None``."""
    return session.scalars(
        select(Customer.code).join(CustomerAlias, CustomerAlias.customer_id == Customer.id)
        .where(CustomerAlias.former_code == code, live(CUSTOMERS))
        .order_by(CustomerAlias.id.desc())).first()


def merged_codes(connection: Connection) -> dict[str, str]:
    """Each merged customer's code → the live customer it leads to now: an import must
    refuse these codes (as a customer's code or parent) rather than revive a merged one."""
    merged = CUSTOMERS.alias("merged")
    rows = connection.execute(
        select(merged.c.code, CUSTOMERS.c.code)
        .join(CustomerAlias.__table__, CustomerAlias.former_code == merged.c.code)
        .join(CUSTOMERS, CUSTOMERS.c.id == CustomerAlias.customer_id)
        .where(merged.c.status == MERGED, live(CUSTOMERS)))
    return dict(rows.all())


def instead_of_merged(code: str, kept: str) -> str:
    """What an import expected instead of the merged customer ``code``."""
    return f"a customer that was not merged ({code} was merged into {kept}: use {kept})"


class UnknownCustomer(NotFound):
    """No live customer has this code; says which one it was merged into, or what was meant."""

    def __init__(self, code: str, meant: str | None = None, merged_into: str | None = None):
        super().__init__("customer", code)
        if merged_into:
            self.args = (f"no customer {code!r}: it was merged into {merged_into!r}",)
        elif meant:
            self.args = (f"no customer {code!r} (did you mean {meant!r}?)",)
