"""Segment challenges as a manager decides them (SPEC §3.5, §5.1 ``/approvals``): the pending
ones and the recent decisions on the customers a viewer may see, approving with an expiry,
rejecting with a comment, and the notice the requesting rep receives.

The decisions themselves, and their audit entries, are ``engine.overrides``'; this module adds
what a decision page needs around them. Visibility is ``engine.access``'s: a challenge is seen
through its customer.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import Connection, and_, func, select
from sqlalchemy.orm import Session, aliased

from engine import access
from engine.definitions.published import published_specs
from engine.errors import InvalidInput, NotFound, Problem
from engine.models import (Customer, CustomerScore, EvaluationRun, Notification, SegmentOverride,
                           User, utcnow)
from engine.overrides import (APPROVED, PENDING, REJECTED, approve_override, local_today,
                              reject_override)
from engine.text import pick_text

CHALLENGE_APPROVED, CHALLENGE_REJECTED = "challenge.approved", "challenge.rejected"
DECIDED = (APPROVED, REJECTED)
COMMENT_MAX = 2000
COLOR = re.compile(r"#[0-9a-fA-F]{6}")
SUBJECTS = {
    CHALLENGE_APPROVED: {"en": "Challenge approved: {customer} ({code}) is {segment} until {until}",
                         "zh": "申诉已批准:{customer}({code})调整为{segment},有效期至 {until}"},
    CHALLENGE_REJECTED: {"en": "Challenge rejected: {customer} ({code}) stays as computed",
                         "zh": "申诉未通过:{customer}({code})维持系统分类"},
}


@dataclass(frozen=True)
class SegmentLook:
    """How a segment is shown: its label (a local text) and its colour (#rrggbb or None)."""

    id: str | None
    label: str | dict[str, str]
    color: str | None


def segment_looks(session: Session) -> dict[tuple[str, str], SegmentLook]:
    """(ruleset id, segment id) → label and colour, from the published rulesets."""
    return {(ruleset.id, segment.id): SegmentLook(segment.id, _plain(segment.label),
                                                  _color(segment.color))
            for ruleset in published_specs(session, "ruleset") for segment in ruleset.segments}


def _color(color: str | None) -> str | None:
    """``color`` if it is ``#rrggbb`` (what the schema allows), else none."""
    return color if isinstance(color, str) and COLOR.fullmatch(color) else None


def _plain(label) -> str | dict[str, str]:
    """A spec's local text as ``pick_text`` and the ``localized`` filter take it."""
    texts = dict(label.by_locale)
    return texts[""] if "" in texts else texts


def latest_runs():
    """The id of the latest completed run of each ruleset, as a subquery (ruleset_id, run_id)."""
    return (select(EvaluationRun.ruleset_id, func.max(EvaluationRun.id).label("run_id"))
            .where(EvaluationRun.status == "completed")
            .group_by(EvaluationRun.ruleset_id).subquery("latest_runs"))


def _visible(viewer: access.Viewer):
    return SegmentOverride.customer_id.in_(access.customer_ids(viewer))


def pending_count(connection: Connection, viewer: access.Viewer) -> int:
    """How many challenges wait for a decision on the customers ``viewer`` may see."""
    return connection.scalar(select(func.count()).select_from(SegmentOverride).where(
        SegmentOverride.status == PENDING, _visible(viewer))) or 0


def _rows(connection: Connection, viewer: access.Viewer, statuses, order, limit: int):
    latest = latest_runs()
    requester, decider = aliased(User), aliased(User)
    query = (select(SegmentOverride.id, SegmentOverride.ruleset_id, SegmentOverride.segment,
                    SegmentOverride.until, SegmentOverride.reason, SegmentOverride.status,
                    SegmentOverride.requested_by, requester.name.label("requester_name"),
                    SegmentOverride.created_at, SegmentOverride.decided_by,
                    decider.name.label("decider_name"),
                    SegmentOverride.decided_at, Customer.code.label("customer_code"),
                    Customer.name.label("customer_name"),
                    CustomerScore.segment.label("current_segment"),
                    CustomerScore.effective_segment.label("current_effective"))
             .join(Customer, Customer.id == SegmentOverride.customer_id)
             .outerjoin(requester, requester.username == SegmentOverride.requested_by)
             .outerjoin(decider, decider.username == SegmentOverride.decided_by)
             .outerjoin(latest, latest.c.ruleset_id == SegmentOverride.ruleset_id)
             .outerjoin(CustomerScore, and_(CustomerScore.run_id == latest.c.run_id,
                                            CustomerScore.customer_id == Customer.id))
             .where(SegmentOverride.status.in_(statuses), _visible(viewer))
             .order_by(*order).limit(limit))
    return [row._asdict() for row in connection.execute(query)]


def pending_challenges(connection: Connection, viewer: access.Viewer,
                       limit: int = 200) -> list[dict]:
    """The pending challenges ``viewer`` may decide on, oldest first (first come, first
    decided), with the customer's segment in the latest stored run of the ruleset."""
    return _rows(connection, viewer, (PENDING,),
                 (SegmentOverride.created_at, SegmentOverride.id), limit)


def recent_decisions(connection: Connection, viewer: access.Viewer,
                     limit: int = 20) -> list[dict]:
    """The latest approved or rejected challenges on customers ``viewer`` may see."""
    return _rows(connection, viewer, DECIDED,
                 (SegmentOverride.decided_at.desc(), SegmentOverride.id.desc()), limit)


def visible_challenge(session: Session, viewer: access.Viewer,
                      override_id: int) -> SegmentOverride:
    """The challenge ``override_id`` if ``viewer`` may see it; ``NotFound`` otherwise (the same
    as a challenge that does not exist)."""
    found = session.scalar(select(SegmentOverride).where(SegmentOverride.id == override_id,
                                                         _visible(viewer)))
    if found is None:
        raise NotFound("challenge", override_id)
    return found


def approve_challenge(session: Session, viewer: access.Viewer, override_id: int,
                      until: dt.date, today: dt.date | None = None) -> SegmentOverride:
    """Approve a visible challenge, pinning its segment until ``until`` (the requested date or
    another the manager chose); the requester is notified. Audited by ``approve_override``."""
    override = visible_challenge(session, viewer, override_id)
    if until < (today or local_today()):
        raise InvalidInput([Problem(path="$.until", message=f"until {until.isoformat()} is in "
                                                            "the past")], "approval")
    session.refresh(override, with_for_update=True)
    override.until = until
    approve_override(session, override_id, viewer.username)
    _notify(session, override, CHALLENGE_APPROVED)
    return override


def reject_challenge(session: Session, viewer: access.Viewer, override_id: int,
                     comment: str) -> SegmentOverride:
    """Reject a visible challenge with a comment (required); the requester is notified."""
    visible_challenge(session, viewer, override_id)
    comment = (comment or "").strip()
    if not comment:
        raise InvalidInput([Problem(path="$.comment", message="a comment is required")],
                           "rejection")
    if len(comment) > COMMENT_MAX:
        raise InvalidInput([Problem(path="$.comment", message=f"a comment has at most "
                                                              f"{COMMENT_MAX} characters")],
                           "rejection")
    override = reject_override(session, override_id, viewer.username, comment)
    _notify(session, override, CHALLENGE_REJECTED, comment)
    return override


def _notify(session: Session, override: SegmentOverride, kind: str,
            comment: str | None = None) -> None:
    """A notice to the user who filed the challenge, in their language."""
    requester = session.scalar(select(User).where(User.username == override.requested_by))
    if requester is None:
        return
    look = segment_looks(session).get((override.ruleset_id, override.segment))
    locale = requester.locale or "zh"
    segment = pick_text(look.label, locale) if look else override.segment
    customer = override.customer
    texts = SUBJECTS[kind]
    subject = texts.get(locale, texts["en"]).format(
        customer=customer.name, code=customer.code, segment=segment,
        until=override.until.isoformat())[:300]
    session.add(Notification(
        user_id=requester.id, kind=kind, subject=subject, body=comment or "",
        payload={"override_id": override.id, "customer_code": customer.code,
                 "ruleset_id": override.ruleset_id, "segment": override.segment,
                 "until": override.until.isoformat(), "decided_by": override.decided_by,
                 "comment": comment},
        created_at=utcnow()))
