"""Golden customers: customers an admin pins with the segment a ruleset must keep giving them
("协和医院 must stay 明星"); a preview and a publish show which expectations a draft breaks.

Placeholder until the golden-customers work lands: no expectations are stored yet.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class BrokenExpectation:
    customer_id: int
    customer_name: str
    expected: str          # segment id the admin pinned
    actual: str | None     # segment id the draft gives (None: out of scope)


def broken_expectations(session: Session, ruleset_id: str,
                        segment_of: Mapping[int, str]) -> list[BrokenExpectation]:
    """The pinned customers of ``ruleset_id`` whose segment in ``segment_of`` (customer id →
    segment id, as a draft would classify them) is not the one expected."""
    return []
