"""``/approvals``: segment challenges on the viewer's customers, approved with an expiry or
rejected with a comment (managers and admins, SPEC §5.1)."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import Session

from engine import access, challenges
from engine.db import transaction
from engine.errors import Conflict, InvalidInput, NotFound
from engine.overrides import OverrideNotAllowed
from web.accounts import role_required
from web.database import get_engine

bp = Blueprint("approvals", __name__)


def _viewer() -> access.Viewer:
    return access.Viewer.of(current_user)


def _page(errors: dict | None = None, values: dict | None = None, status: int = 200):
    """The page: pending challenges with their forms, then recent decisions. ``errors`` and
    ``values`` are the refused form's (override id → field → message / value)."""
    viewer = _viewer()
    engine = get_engine()
    with engine.connect() as connection:
        pending = challenges.pending_challenges(connection, viewer)
        decided = challenges.recent_decisions(connection, viewer)
    with Session(engine) as session:
        looks = challenges.segment_looks(session)
    return render_template("approvals/index.html", pending=pending, decided=decided,
                           looks=looks, errors=errors or {}, values=values or {},
                           local_time=_local_time, today=_today()), status


def _today() -> dt.date:
    return dt.datetime.now(ZoneInfo(current_app.config["TIMEZONE"])).date()


def _local_time(moment: dt.datetime | None) -> str:
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).strftime("%Y-%m-%d %H:%M")


@bp.get("/approvals")
@role_required(*access.DECIDES_CHALLENGES)
def index():
    return _page()


def _decide(override_id: int, decision, field: str, value: str):
    """Run ``decision`` in a transaction: redirect on success; the page with the message at
    the field (400), a 404 for a challenge out of view, a 409 for one decided meanwhile."""
    try:
        with transaction(get_engine()) as session:
            decision(session)
    except NotFound:
        abort(404)
    except InvalidInput as exc:
        message = "; ".join(problem.message for problem in exc.problems)
        return _page({override_id: {field: _field_message(field, message)}},
                     {override_id: {field: value}}, 400)
    except OverrideNotAllowed:
        return _page({override_id: {"form": _("You filed this challenge; another manager "
                                              "or an administrator decides on it.")}},
                     status=403)
    except Conflict:
        return _page({override_id: {"form": _("This challenge has already been decided.")}},
                     status=409)
    return None


def _field_message(field: str, message: str) -> str:
    if field == "until":
        return _("Choose a date from today on.") if "past" in message else message
    if "required" in message:
        return _("Please write why the challenge is rejected.")
    return _("The comment is too long (at most %(n)d characters).", n=challenges.COMMENT_MAX)


@bp.post("/approvals/<int:override_id>/approve")
@role_required(*access.DECIDES_CHALLENGES)
def approve(override_id: int):
    raw = request.form.get("until", "").strip()
    try:
        until = dt.date.fromisoformat(raw)
    except ValueError:
        with Session(get_engine()) as session:
            _visible_or_404(session, override_id)
        return _page({override_id: {"until": _("Enter a date as YYYY-MM-DD.")}},
                     {override_id: {"until": raw}}, 400)
    refused = _decide(override_id, lambda session: challenges.approve_challenge(
        session, _viewer(), override_id, until, _today()), "until", raw)
    if refused is not None:
        return refused
    flash(_("Challenge approved. The segment applies from the next evaluation run."), "success")
    return redirect(url_for("approvals.index"), 303)


@bp.post("/approvals/<int:override_id>/reject")
@role_required(*access.DECIDES_CHALLENGES)
def reject(override_id: int):
    comment = request.form.get("comment", "")
    refused = _decide(override_id, lambda session: challenges.reject_challenge(
        session, _viewer(), override_id, comment), "comment", comment)
    if refused is not None:
        return refused
    flash(_("Challenge rejected. The rep has been notified."), "success")
    return redirect(url_for("approvals.index"), 303)


def _visible_or_404(session: Session, override_id: int) -> None:
    try:
        challenges.visible_challenge(session, _viewer(), override_id)
    except NotFound:
        abort(404)
