"""The duplicate finder's verdict on one customer, cheaply: for the customer page's hint.

``duplicates.find_duplicates`` compares every block of (type, city); the page needs only the
pairs of one customer, so this scores its names (its own and its aliases) against the live
customers of its type in its city, with the same scorer, threshold and vetoes
(``distinctions.why_distinct``). Only customers the viewer may see are named.
"""
from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz, process
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine import access
from engine.access import Viewer
from engine.customers.distinctions import why_distinct
from engine.customers.duplicates import DEFAULT_MIN_SCORE
from engine.customers.names import normalize_name
from engine.models import Customer, CustomerAlias

MAX_HINTS = 5


@dataclass(frozen=True)
class DuplicateHint:
    code: str
    name: str
    score: float


def _city_key(city: str | None) -> str:
    return normalize_name(city) if city else ""


def duplicate_hints(session: Session, viewer: Viewer, customer_id: int,
                    min_score: float = DEFAULT_MIN_SCORE) -> list[DuplicateHint]:
    """The visible customers the duplicate finder would pair with ``customer_id``, best first."""
    me = session.execute(select(Customer.type, Customer.city, Customer.normalized_name,
                                Customer.name).where(Customer.id == customer_id)).first()
    if me is None:
        return []
    keys = {me.normalized_name or normalize_name(me.name)}
    keys.update(session.scalars(select(CustomerAlias.normalized_name)
                                .where(CustomerAlias.customer_id == customer_id)))
    city_match = Customer.city.is_(None) if me.city is None else Customer.city == me.city
    rows = session.execute(
        select(Customer.code, Customer.name, Customer.normalized_name, Customer.city)
        .where(Customer.type == me.type, Customer.id != customer_id, access.customers(viewer),
               or_(city_match, Customer.normalized_name.in_(keys)))
        .order_by(Customer.code)).all()
    city = _city_key(me.city)
    candidates = {i: (row.normalized_name or normalize_name(row.name))
                  for i, row in enumerate(rows) if _city_key(row.city) == city}
    best: dict[int, float] = {}
    for key in keys:
        for _, score, index in process.extract(key, candidates, scorer=fuzz.ratio,
                                               score_cutoff=min_score, limit=None):
            if score == 100 or why_distinct(key, candidates[index]) is None:
                best[index] = max(best.get(index, 0.0), score)
    hints = [DuplicateHint(rows[i].code, rows[i].name, round(s, 1)) for i, s in best.items()]
    return sorted(hints, key=lambda h: (-h.score, h.code))[:MAX_HINTS]
