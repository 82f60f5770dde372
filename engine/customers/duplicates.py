"""Likely duplicate customers: the same institution imported twice under two spellings.

Customers are compared only within a block of the same type and city (a hospital in 杭州 is not
a duplicate of one in 温州), so the work grows with the size of the largest block, not with the
square of all customers. Within a block every normalized name and alias is scored against every
other with rapidfuzz's ``fuzz.ratio`` (normalized Indel similarity, 0–100); a pair at or above
``min_score`` is reported unless ``distinctions.why_distinct`` sees a number, kind of
institution or campus that sets the two apart. Customers without a city form one block per type.
Merged customers (``engine.customers.merged``) are history and are never listed.
"""
from __future__ import annotations

import math
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import combinations
from typing import Iterator

from rapidfuzz import fuzz, process
from sqlalchemy import Engine, Row, select
from sqlalchemy.orm import Session

from engine.customers.distinctions import why_distinct
from engine.customers.merged import live
from engine.customers.names import normalize_name
from engine.models import Customer, CustomerAlias

DEFAULT_MIN_SCORE = 85.0


@dataclass(frozen=True)
class DuplicatePair:
    """Two customers that are probably one; ``code`` sorts before ``other_code``."""

    code: str
    name: str
    other_code: str
    other_name: str
    type: str
    city: str | None
    score: float
    reason: str


@dataclass(frozen=True)
class _Spelling:
    """One name of a customer: its own (``alias`` None) or an alias, with its comparison key."""

    customer: Row  # id, code, name, normalized_name, type, city
    key: str
    alias: str | None = None


def find_duplicates(source: Session | Engine, *, min_score: float = DEFAULT_MIN_SCORE,
                    customer_type: str | None = None) -> list[DuplicatePair]:
    """Likely duplicates among all customers (or those of ``customer_type``), best first."""
    if not 0 <= min_score <= 100:
        raise ValueError(f"min_score must lie in 0–100, not {min_score}")
    pairs: list[DuplicatePair] = []
    with _reading(source) as session:
        types = [customer_type] if customer_type else session.scalars(
            select(Customer.type).where(live()).distinct().order_by(Customer.type)).all()
        for type_ in types:
            for block in _blocks(session, type_):
                pairs.extend(_pairs_in_block(block, min_score))
    return sorted(pairs, key=lambda p: (-p.score, p.code, p.other_code))


@contextmanager
def _reading(source: Session | Engine) -> Iterator[Session]:
    if isinstance(source, Session):
        yield source
        return
    with Session(source) as session:
        yield session


def _blocks(session: Session, customer_type: str) -> Iterator[list[_Spelling]]:
    """The spellings of one type's customers, one list per city (cities compared normalized)."""
    customers = session.execute(
        select(Customer.id, Customer.code, Customer.name, Customer.normalized_name,
               Customer.type, Customer.city)
        .where(Customer.type == customer_type, live()).order_by(Customer.code)).all()
    aliases = defaultdict(list)
    for customer_id, name, key in session.execute(
            select(CustomerAlias.customer_id, CustomerAlias.name, CustomerAlias.normalized_name)
            .join(Customer, Customer.id == CustomerAlias.customer_id)
            .where(Customer.type == customer_type, live()).order_by(CustomerAlias.id)):
        aliases[customer_id].append((name, key))
    blocks: dict[str, list[_Spelling]] = defaultdict(list)
    for customer in customers:
        block = blocks[normalize_name(customer.city) if customer.city else ""]
        block.append(_Spelling(customer, customer.normalized_name or normalize_name(customer.name)))
        for name, key in aliases[customer.id]:
            block.append(_Spelling(customer, key or normalize_name(name), alias=name))
    yield from blocks.values()


def _pairs_in_block(spellings: list[_Spelling], min_score: float) -> list[DuplicatePair]:
    by_key: dict[str, list[_Spelling]] = defaultdict(list)
    for spelling in spellings:
        by_key[spelling.key].append(spelling)
    best: dict[tuple[str, str], tuple[float, int, DuplicatePair]] = {}

    def offer(first: _Spelling, second: _Spelling, score: float) -> None:
        if first.customer.code == second.customer.code:
            return
        pair = _pair(first, second, score)
        rank = (score, -(bool(first.alias) + bool(second.alias)))
        held = best.get((pair.code, pair.other_code))
        if held is None or rank > held[:2]:
            best[(pair.code, pair.other_code)] = (*rank, pair)

    for group in by_key.values():
        for first, second in combinations(group, 2):
            offer(first, second, 100.0)
    keys = list(by_key)
    for index, key in enumerate(keys):
        later = keys[index + 1:]
        for other, score, _ in process.extract(key, later, scorer=fuzz.ratio,
                                               score_cutoff=min_score, limit=None):
            if why_distinct(key, other) is None:
                for first in by_key[key]:
                    for second in by_key[other]:
                        offer(first, second, score)
    return [pair for *_, pair in best.values()]


def _pair(first: _Spelling, second: _Spelling, score: float) -> DuplicatePair:
    if second.customer.code < first.customer.code:
        first, second = second, first
    what = "same normalized name" if score == 100 else f"names {math.floor(score)}% similar"
    via = [f"alias {s.alias!r} of {s.customer.code}" for s in (first, second) if s.alias]
    reason = what + (f" (via {', '.join(via)})" if via else "")
    one, other = first.customer, second.customer
    return DuplicatePair(one.code, one.name, other.code, other.name, one.type, one.city,
                         round(score, 1), reason)
