"""Golden customers: customers an admin pins with the segment a ruleset must keep giving them
("协和医院 must stay 明星"); a preview and a publish show which expectations a draft breaks.

An expectation names the ruleset by its id and the customer by its row; pinning, changing and
unpinning are audited. ``broken_expectations`` compares the pins with any classification
(customer id → segment id); ``draft_breaks`` dry-runs a stored version to get one.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Engine, and_, func, or_, select
from sqlalchemy.orm import Session

from engine import access, audit
from engine.customers.names import normalize_name
from engine.definitions import store
from engine.definitions.published import build_spec
from engine.errors import InvalidInput, NotFound, Problem
from engine.evaluation import evaluate
from engine.models import Customer, CustomerScore, EvaluationRun, GoldenCustomer

NOTE_LIMIT = 500
SEARCH_LIMIT = 20
AUDIT_OBJECT = "golden_customer"
_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")


@dataclass(frozen=True)
class BrokenExpectation:
    customer_id: int
    customer_name: str
    expected: str          # segment id the admin pinned
    actual: str | None     # segment id the draft gives (None: out of scope)
    customer_code: str = ""
    note: str | None = None


@dataclass(frozen=True)
class SegmentChoice:
    id: str
    label: dict            # locale → text, as the ``localized`` filter takes it
    color: str | None


@dataclass(frozen=True)
class Expectation:
    """A pinned customer as the golden page lists it, with its segment in the latest run."""

    customer_code: str
    customer_name: str
    customer_status: str
    expected: str
    current: str | None     # segment in the latest completed run (None: not in it / no run)
    note: str | None
    created_by: str | None
    created_at: dt.datetime


def _ruleset(session: Session, ruleset_id: str):
    return store.get_definition(session, "ruleset", ruleset_id)


def segment_choices(session: Session, ruleset_id: str,
                    number: int | None = None) -> list[SegmentChoice]:
    """The segments of version ``number`` (default: the published version, or the latest one
    if none is published), in their order."""
    definition = _ruleset(session, ruleset_id)
    if number is not None:
        version = store.get_version(session, definition, number)
    else:
        version = store.published_version(session, definition) or store.latest_version(
            session, definition)
    spec = build_spec("ruleset", version.content, version.id)
    return [SegmentChoice(s.id, dict(s.label.by_locale),
                          s.color if s.color and _COLOR.match(s.color) else None)
            for s in spec.segments]


def _latest_run_id(ruleset_id: str):
    return (select(func.max(EvaluationRun.id))
            .where(EvaluationRun.ruleset_id == ruleset_id, EvaluationRun.status == "completed")
            .scalar_subquery())


def expectations(session: Session, ruleset_id: str) -> list[Expectation]:
    """Every pin of ``ruleset_id`` by customer name, with the segment each has now."""
    score = and_(CustomerScore.customer_id == GoldenCustomer.customer_id,
                 CustomerScore.run_id == _latest_run_id(ruleset_id))
    rows = session.execute(
        select(Customer.code, Customer.name, Customer.status, GoldenCustomer.expected_segment,
               CustomerScore.segment, GoldenCustomer.note, GoldenCustomer.created_by,
               GoldenCustomer.created_at)
        .join(Customer, Customer.id == GoldenCustomer.customer_id)
        .outerjoin(CustomerScore, score)
        .where(GoldenCustomer.ruleset_id == ruleset_id)
        .order_by(Customer.name, Customer.code))
    return [Expectation(*row) for row in rows]


def find_customers(session: Session, viewer: access.Viewer, text: str,
                   limit: int = SEARCH_LIMIT) -> list[Customer]:
    """Customers ``viewer`` may see whose code or name contains ``text`` (merged ones left out)."""
    text = text.strip()
    if not text:
        return []
    matches = [func.lower(Customer.code).like(_like(text.lower()), escape="\\"),
               func.lower(Customer.name).like(_like(text.lower()), escape="\\")]
    normalized = normalize_name(text)
    if normalized:
        matches.append(func.lower(Customer.normalized_name).like(_like(normalized.lower()),
                                                                 escape="\\"))
    return list(session.scalars(
        select(Customer).where(or_(*matches), Customer.merged_into_id.is_(None),
                               access.customers(viewer))
        .order_by(func.length(Customer.name), Customer.name, Customer.code).limit(limit)))


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _problem(field: str, message: str) -> Problem:
    return Problem(path=field, message=message)


def _checked(session: Session, ruleset_id: str, customer_code: str, segment: str,
             note: str | None) -> tuple[Customer, str | None]:
    """The customer and the cleaned note of a pin, or every problem with its fields."""
    problems = []
    customer = session.scalar(select(Customer).where(Customer.code == customer_code.strip()))
    if customer is None or customer.merged_into_id is not None:
        problems.append(_problem("customer", f"no customer with code {customer_code!r}"))
    known = [s.id for s in segment_choices(session, ruleset_id)]
    if segment not in known:
        problems.append(_problem("segment", f"unknown segment {segment!r} of ruleset "
                                            f"{ruleset_id} (known: {', '.join(known)})"))
    note = (note or "").strip() or None
    if note is not None and len(note) > NOTE_LIMIT:
        problems.append(_problem("note", f"the note is {len(note)} characters long; "
                                         f"at most {NOTE_LIMIT}"))
    if problems:
        raise InvalidInput(problems, subject=f"golden customer of ruleset {ruleset_id}")
    return customer, note


def pin(session: Session, ruleset_id: str, customer_code: str, segment: str,
        note: str | None, actor: str | None) -> GoldenCustomer:
    """Expect ``segment`` for the customer under ``ruleset_id`` (a new pin or a changed one)."""
    _ruleset(session, ruleset_id)
    customer, note = _checked(session, ruleset_id, customer_code, segment, note)
    row = session.scalar(select(GoldenCustomer).where(GoldenCustomer.ruleset_id == ruleset_id,
                                                      GoldenCustomer.customer_id == customer.id))
    action = "golden.change" if row is not None else "golden.pin"
    details = {"ruleset": ruleset_id, "customer": customer.code, "segment": segment,
               "note": note}
    if row is None:
        row = GoldenCustomer(ruleset_id=ruleset_id, customer_id=customer.id, created_by=actor)
        session.add(row)
    else:
        details["previous_segment"] = row.expected_segment
    row.expected_segment, row.note = segment, note
    session.flush()
    audit.record(session, actor, action, AUDIT_OBJECT, f"{ruleset_id}:{customer.code}", details)
    return row


def unpin(session: Session, ruleset_id: str, customer_code: str, actor: str | None) -> None:
    """Drop the expectation of ``ruleset_id`` for the customer ``customer_code``."""
    row = session.scalar(
        select(GoldenCustomer).join(Customer, Customer.id == GoldenCustomer.customer_id)
        .where(GoldenCustomer.ruleset_id == ruleset_id, Customer.code == customer_code))
    if row is None:
        raise NotFound(f"golden customer of ruleset {ruleset_id}", customer_code)
    audit.record(session, actor, "golden.unpin", AUDIT_OBJECT, f"{ruleset_id}:{customer_code}",
                 {"ruleset": ruleset_id, "customer": customer_code,
                  "segment": row.expected_segment, "note": row.note})
    session.delete(row)
    session.flush()


def _pins(session: Session, ruleset_id: str):
    """(customer id, id its segment is read under, name, code, expected, note) per pin; a
    merged customer is read under the customer it was merged into."""
    return session.execute(
        select(Customer.id, func.coalesce(Customer.merged_into_id, Customer.id), Customer.name,
               Customer.code, GoldenCustomer.expected_segment, GoldenCustomer.note)
        .join(Customer, Customer.id == GoldenCustomer.customer_id)
        .where(GoldenCustomer.ruleset_id == ruleset_id)
        .order_by(Customer.name, Customer.code)).all()


def broken_expectations(session: Session, ruleset_id: str,
                        segment_of: Mapping[int, str]) -> list[BrokenExpectation]:
    """The pinned customers of ``ruleset_id`` whose segment in ``segment_of`` (customer id →
    segment id, as a draft would classify them) is not the one expected."""
    broken = []
    for customer_id, read_id, name, code, expected, note in _pins(session, ruleset_id):
        actual = segment_of.get(read_id)
        if actual != expected:
            broken.append(BrokenExpectation(customer_id, name, expected, actual, code, note))
    return broken


def has_expectations(session: Session, ruleset_id: str) -> bool:
    return session.scalar(select(GoldenCustomer.id)
                          .where(GoldenCustomer.ruleset_id == ruleset_id).limit(1)) is not None


def pin_count(session: Session, ruleset_id: str) -> int:
    return session.scalar(select(func.count()).select_from(GoldenCustomer)
                          .where(GoldenCustomer.ruleset_id == ruleset_id)) or 0


def draft_breaks(engine: Engine, ruleset_id: str, number: int,
                 as_of: dt.date | None = None) -> list[BrokenExpectation]:
    """The expectations version ``number`` of ``ruleset_id`` breaks on current data, found by a
    dry run (nothing stored); no dry run at all when nothing is pinned."""
    with Session(engine) as session:
        if not has_expectations(session, ruleset_id):
            return []
        read_ids = [row[1] for row in _pins(session, ruleset_id)]
    result = evaluate(engine, ruleset_id, as_of=as_of, dry_run=True, version=number)
    segment_of = _segments_of(result.population.ids, result.segments, read_ids)
    with Session(engine) as session:
        return broken_expectations(session, ruleset_id, segment_of)


def _segments_of(ids: np.ndarray, segments: np.ndarray, wanted: list[int]) -> dict[int, str]:
    """customer id → segment for the ``wanted`` ids found in a run's (sorted) population."""
    if len(ids) == 0 or not wanted:
        return {}
    wanted_array = np.asarray(wanted, dtype=ids.dtype)
    at = np.clip(np.searchsorted(ids, wanted_array), 0, len(ids) - 1)
    found = ids[at] == wanted_array
    return {int(i): str(segments[p]) for i, p, ok in zip(wanted_array, at, found) if ok}
