"""Named locks that serialize whole operations across processes, held until the transaction ends.

PostgreSQL takes a transaction-scoped advisory lock, so two evaluations of one ruleset (or two
imports) queue instead of interleaving, whatever process runs them; it is released on commit,
rollback, or when a killed process's connection closes. On SQLite every writing transaction
already holds the database's single write lock from ``BEGIN IMMEDIATE`` (``engine.db``), which
serializes them just the same, so there is nothing more to take.

Locks are always taken first in a transaction and at most one per transaction, so their order
is fixed and they cannot deadlock against each other.
"""
from __future__ import annotations

import hashlib

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session


def lock_key(*names: str) -> int:
    """A stable signed 64-bit key for ``names`` (advisory locks are numbered)."""
    digest = hashlib.blake2b("\x1f".join(names).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def hold(db: Session | Connection, *names: str) -> None:
    """Wait for and hold the lock named ``names`` until ``db``'s transaction ends."""
    dialect = db.dialect if isinstance(db, Connection) else db.get_bind().dialect
    if dialect.name == "postgresql":
        db.execute(select(func.pg_advisory_xact_lock(lock_key(*names))))
