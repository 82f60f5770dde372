"""Segment overrides (SPEC §3.2, §3.5): a rep's challenge, a manager's decision, direct
overrides from an admin, clearing and expiry; every change is in the audit log.

An approved override pins a customer's *effective* segment in its ruleset until ``until``
(inclusive). Evaluation stores the computed segment and, through ``effective_segments``, the
effective one; workflows follow the effective segment, so an override takes effect (and its
expiry too) at the next run of its ruleset.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit
from engine.config import load_settings
from engine.customers.merged import UnknownCustomer, live, live_successor
from engine.definitions.documents import did_you_mean
from engine.definitions.published import published_spec, published_specs
from engine.errors import Conflict, InvalidInput, KamflowError, NotFound, Problem
from engine.models import Customer, SegmentOverride, User, utcnow

PENDING, APPROVED, REJECTED, CLEARED, EXPIRED = (
    "pending", "approved", "rejected", "cleared", "expired")
DECIDING_ROLES = ("manager", "admin")
OBJECT_TYPE = "segment_override"


class OverrideNotAllowed(KamflowError, PermissionError):
    """The person may not make this decision about an override."""


def local_today() -> dt.date:
    return utcnow().astimezone(ZoneInfo(load_settings().timezone)).date()


def ruleset_of(session: Session, ruleset_id: str | None):
    """The published ruleset ``ruleset_id``, or the only one when it is not given."""
    if ruleset_id is not None:
        return published_spec(session, "ruleset", ruleset_id)
    rulesets = published_specs(session, "ruleset")
    if len(rulesets) == 1:
        return rulesets[0]
    if not rulesets:
        raise NotFound("published ruleset", "(any)")
    names = ", ".join(r.id for r in rulesets)
    raise InvalidInput([Problem(path="$.ruleset", message=f"several rulesets are published "
                                                          f"({names}); name one")], "override")


def _customer(session: Session, code: str) -> Customer:
    """The live customer ``code``; a merged one is refused with the customer it went to."""
    customer = session.scalar(select(Customer).where(Customer.code == code, live()))
    if customer is None:
        raise UnknownCustomer(code, merged_into=live_successor(session, code))
    return customer


def _checked(session, customer_code, segment, until, reason, ruleset_id, today):
    """(customer, ruleset) after checking every field; all problems are reported at once."""
    ruleset = ruleset_of(session, ruleset_id)
    customer = _customer(session, customer_code)
    where = f"ruleset {ruleset.id}"
    problems = []
    segments = [s.id for s in ruleset.segments]
    if segment not in segments:
        problems.append(Problem(definition=where, path="$.segment",
                                message=f"unknown segment {segment!r}"
                                        f"{did_you_mean(segment, segments)}; expected one of "
                                        f"{', '.join(segments)}"))
    if until < (today or local_today()):
        problems.append(Problem(definition=where, path="$.until",
                                message=f"until {until.isoformat()} is in the past"))
    if not (reason or "").strip():
        problems.append(Problem(definition=where, path="$.reason", message="a reason is required"))
    if problems:
        raise InvalidInput(problems, f"override of {customer_code}")
    return customer, ruleset


def _record(session: Session, actor: str, action: str, override: SegmentOverride,
            customer: Customer, **extra) -> None:
    details = {"customer_code": customer.code, "ruleset_id": override.ruleset_id,
               "segment": override.segment, "until": override.until.isoformat(),
               "reason": override.reason, "status": override.status, **extra}
    audit.record(session, actor, action, OBJECT_TYPE, override.id, details)


def request_override(session: Session, customer_code: str, segment: str, until: dt.date,
                     reason: str, requested_by: str, ruleset_id: str | None = None,
                     today: dt.date | None = None) -> SegmentOverride:
    """A challenge of a customer's segment: pending until a manager decides."""
    customer, ruleset = _checked(session, customer_code, segment, until, reason, ruleset_id,
                                 today)
    override = SegmentOverride(customer_id=customer.id, ruleset_id=ruleset.id, segment=segment,
                               until=until, reason=reason.strip(), status=PENDING,
                               requested_by=requested_by, created_at=utcnow())
    session.add(override)
    session.flush()
    _record(session, requested_by, "override.request", override, customer)
    return override


def _decider(session: Session, username: str, override: SegmentOverride) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active or user.role not in DECIDING_ROLES:
        raise OverrideNotAllowed(f"{username!r} may not decide on overrides: it takes an "
                                 f"active {' or '.join(DECIDING_ROLES)}")
    if username == override.requested_by:
        raise OverrideNotAllowed(f"{username!r} requested override {override.id} and cannot "
                                 "decide on it")
    return user


def _pending(session: Session, override_id: int) -> SegmentOverride:
    override = session.get(SegmentOverride, override_id, with_for_update=True)
    if override is None:
        raise NotFound("override", override_id)
    if override.status != PENDING:
        raise Conflict(f"override {override_id} is {override.status}, not pending")
    return override


def approve_override(session: Session, override_id: int, decided_by: str) -> SegmentOverride:
    """A manager (or admin) approves a challenge; it replaces the customer's active one."""
    override = _pending(session, override_id)
    _decider(session, decided_by, override)
    replaced = _supersede(session, override.customer_id, override.ruleset_id, decided_by)
    _decide(override, APPROVED, decided_by)
    _record(session, decided_by, "override.approve", override, override.customer,
            replaces=replaced)
    return override


def reject_override(session: Session, override_id: int, decided_by: str,
                    comment: str | None = None) -> SegmentOverride:
    """A manager (or admin) rejects a challenge."""
    override = _pending(session, override_id)
    _decider(session, decided_by, override)
    _decide(override, REJECTED, decided_by)
    _record(session, decided_by, "override.reject", override, override.customer,
            comment=comment)
    return override


def _decide(override: SegmentOverride, status: str, decided_by: str) -> None:
    override.status, override.decided_by, override.decided_at = status, decided_by, utcnow()


def _supersede(session: Session, customer_id: int, ruleset_id: str, actor: str) -> list[int]:
    """Clear the customer's approved overrides in the ruleset; their ids."""
    replaced = []
    for old in _approved(session, customer_id, ruleset_id):
        old.status = CLEARED
        _record(session, actor, "override.clear", old, old.customer, superseded=True)
        replaced.append(old.id)
    return replaced


def _approved(session: Session, customer_id: int, ruleset_id: str) -> list[SegmentOverride]:
    return list(session.scalars(select(SegmentOverride).where(
        SegmentOverride.customer_id == customer_id, SegmentOverride.ruleset_id == ruleset_id,
        SegmentOverride.status == APPROVED).order_by(SegmentOverride.id)))


def set_override(session: Session, customer_code: str, segment: str, until: dt.date,
                 reason: str, actor: str, ruleset_id: str | None = None,
                 today: dt.date | None = None) -> SegmentOverride:
    """Pin a customer's segment directly (approved at once) until ``until``, replacing an
    active override. A named user must be a manager or admin; the CLI acts as the operator."""
    customer, ruleset = _checked(session, customer_code, segment, until, reason, ruleset_id,
                                 today)
    user = session.scalar(select(User).where(User.username == actor))
    if user is not None and user.role not in DECIDING_ROLES:
        raise OverrideNotAllowed(f"{actor!r} may not set overrides; a rep files a challenge")
    replaced = _supersede(session, customer.id, ruleset.id, actor)
    override = SegmentOverride(customer_id=customer.id, ruleset_id=ruleset.id, segment=segment,
                               until=until, reason=reason.strip(), status=APPROVED,
                               requested_by=actor, decided_by=actor, created_at=utcnow(),
                               decided_at=utcnow())
    session.add(override)
    session.flush()
    _record(session, actor, "override.set", override, customer, replaces=replaced)
    return override


def clear_override(session: Session, customer_code: str, actor: str,
                   ruleset_id: str | None = None) -> list[SegmentOverride]:
    """End the customer's approved override in the ruleset (at its next run)."""
    ruleset = ruleset_of(session, ruleset_id)
    customer = _customer(session, customer_code)
    cleared = _approved(session, customer.id, ruleset.id)
    if not cleared:
        raise NotFound(f"approved override in ruleset {ruleset.id} for customer", customer_code)
    for override in cleared:
        override.status = CLEARED
        _record(session, actor, "override.clear", override, customer)
    return cleared


def effective_segments(session: Session, ruleset_id: str, on: dt.date) -> dict[int, str]:
    """Customer id → overriding segment, for the overrides active on ``on`` (a run's date)."""
    rows = session.execute(select(SegmentOverride.customer_id, SegmentOverride.segment)
                           .where(SegmentOverride.ruleset_id == ruleset_id,
                                  SegmentOverride.status == APPROVED,
                                  SegmentOverride.until >= on)
                           .order_by(SegmentOverride.id))
    return {customer: segment for customer, segment in rows}


def expire_overrides(session: Session, today: dt.date, actor: str) -> int:
    """Mark approved overrides whose ``until`` has passed as expired; how many."""
    expired = list(session.scalars(select(SegmentOverride).where(
        SegmentOverride.status == APPROVED, SegmentOverride.until < today)
        .order_by(SegmentOverride.id)))
    for override in expired:
        override.status = EXPIRED
        _record(session, actor, "override.expire", override, override.customer)
    return len(expired)


def list_overrides(session: Session, status: str | None = None,
                   ruleset_id: str | None = None) -> list[SegmentOverride]:
    """Overrides, newest first, optionally of one status and ruleset."""
    query = select(SegmentOverride).order_by(SegmentOverride.id.desc())
    if status is not None:
        query = query.where(SegmentOverride.status == status)
    if ruleset_id is not None:
        query = query.where(SegmentOverride.ruleset_id == ruleset_id)
    return list(session.scalars(query))
