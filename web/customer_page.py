"""``/customers/<code>``: one customer — segment and why, profile, challenge, history, tasks,
facts — and its actions (edit the profile, challenge the segment).

Every read goes through ``engine.customers.page`` with the signed-in viewer, so a customer
outside their view answers 404; a role that may not act answers 403 before anything is read.
"""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import access
from engine.access import Viewer
from engine.customers import page as customer_page
from engine.customers.duplicate_hint import duplicate_hints
from engine.customers.profile_edit import save_profile, submitted_values, visible_keys
from engine.db import transaction
from engine.errors import InvalidInput, KamflowError
from engine.evaluation.explain import explain
from engine.models import Customer
from engine.overrides import local_today, request_override
from web import customer_text as text
from web.database import get_engine

bp = Blueprint("customer", __name__)
CHALLENGE_DAYS = 90
MAX_REASON = 2000


@bp.context_processor
def _helpers():
    return {"label_of": text.label_of, "shown": text.shown, "money": text.money,
            "quantity": text.quantity, "matched_text": text.matched_text,
            "split_text": text.split_text, "side_text": text.side_text,
            "status_text": text.status_text, "kind_text": text.kind_text,
            "sections": text.sections, "cell_of": text.cell_of,
            "option_texts": text.option_texts}


def _viewer() -> Viewer:
    return Viewer.of(current_user)


def _require(roles: tuple[str, ...]) -> None:
    if not access.may(_viewer(), roles):
        abort(403)


def _head_or_404(session: Session, code: str) -> customer_page.CustomerHead:
    head = customer_page.visible_customer(session, _viewer(), code)
    if head is None:
        abort(404)
    return head


# --- the page ---------------------------------------------------------------------------------

@bp.get("/customers/<code>")
@login_required
def show(code: str):
    with Session(get_engine()) as session:
        context = _page(session, _head_or_404(session, code))
    return render_template("customer/page.html", **context)


def _page(session: Session, head, cells=None, profile_errors=None, challenge=None,
          challenge_errors=None) -> dict:
    viewer = _viewer()
    form = customer_page.form_for(session, head.type)
    today = local_today()
    standings = customer_page.standings(session, viewer, head, form, today)
    values = head.profile if cells is None or form is None else \
        submitted_values(form, head.profile, cells)
    return {
        "customer": head, "form": form, "values": values, "cells": cells,
        "visible": visible_keys(form, values, head.core_values()) if form else set(),
        "profile_errors": profile_errors or {},
        "can_edit": access.may(viewer, access.EDITS_PROFILES),
        "can_challenge": access.may(viewer, access.CHALLENGES_SEGMENTS),
        "standings": standings,
        "explanations": {s.ruleset.id: _explanation(head.code, s) for s in standings},
        "history": customer_page.segment_history(session, viewer, head.id),
        "open_tasks": customer_page.customer_tasks(session, viewer, head.id, done=False),
        "done_tasks": customer_page.customer_tasks(session, viewer, head.id, done=True),
        "facts": {kind: customer_page.fact_page(session, viewer, head.id, kind)
                  for kind in customer_page.FACT_KINDS},
        "duplicates": duplicate_hints(session, viewer, head.id),
        "challenge": challenge or {"until": (today + dt.timedelta(days=CHALLENGE_DAYS))
                                   .isoformat()},
        "challenge_errors": challenge_errors or {},
        "today": today,
    }


def _explanation(code: str, standing):
    if not standing.scored:
        return None
    try:
        return explain(get_engine(), code, standing.ruleset.id, standing.run_id)
    except KamflowError:
        return None


# --- paged facts and the profile form's re-render ----------------------------------------------

@bp.get("/customers/<code>/facts/<kind>")
@login_required
def facts(code: str, kind: str):
    if kind not in customer_page.FACT_KINDS:
        abort(404)
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and 0 < int(page) < 100_000 else 1
    with Session(get_engine()) as session:
        head = _head_or_404(session, code)
        found = customer_page.fact_page(session, _viewer(), head.id, kind, page)
    return render_template("customer/_fact_rows.html", customer=head, page=found)


@bp.get("/customers/<code>/profile/form")
@login_required
def profile_form(code: str):
    """The profile form re-rendered for the values typed so far (``visible_if``)."""
    _require(access.EDITS_PROFILES)
    with Session(get_engine()) as session:
        head = _head_or_404(session, code)
        form = customer_page.form_for(session, head.type)
    if form is None:
        abort(404)
    cells = _cells(form, request.args)
    values = submitted_values(form, head.profile, cells)
    return render_template("customer/_profile_form.html", customer=head, form=form,
                           values=values, cells=cells, profile_errors={}, can_edit=True,
                           visible=visible_keys(form, values, head.core_values()))


def _cells(form, source) -> dict[str, str]:
    """The text cell of every field sent (a multiselect's options joined by ;)."""
    cells = {}
    for field in form.fields:
        if field.key not in source:
            continue     # not sent (a hidden field): it keeps its stored value
        if field.type == "multiselect":
            cells[field.key] = ";".join(v.strip() for v in source.getlist(field.key) if v.strip())
        else:
            cells[field.key] = (source.get(field.key) or "").strip()
    return cells


# --- actions -------------------------------------------------------------------------------------

class _Refused(Exception):
    """A submission with problems: the transaction rolls back, the page shows them."""

    def __init__(self, errors: dict[str, str], **context):
        super().__init__(errors)
        self.context = context


def _refused_page(code: str, refused: _Refused):
    with Session(get_engine()) as session:
        context = _page(session, _head_or_404(session, code), **refused.context)
    return render_template("customer/page.html", **context), 400


@bp.post("/customers/<code>/profile")
@login_required
def profile(code: str):
    _require(access.EDITS_PROFILES)
    try:
        with transaction(get_engine()) as session:
            head = _head_or_404(session, code)
            form = customer_page.form_for(session, head.type)
            if form is None:
                abort(404)
            cells = _cells(form, request.form)
            customer = session.scalar(select(Customer).where(Customer.id == head.id)
                                      .with_for_update())
            problems = save_profile(session, current_user.username, customer, form, cells)
            if problems:
                errors = {p.key: text.problem_text(p, form.field(p.key)) for p in problems}
                raise _Refused(errors, cells=cells, profile_errors=errors)
    except _Refused as refused:
        return _refused_page(code, refused)
    flash(_("The profile is saved."), "success")
    return redirect(url_for("customer.show", code=code) + "#profile")


@bp.post("/customers/<code>/challenge")
@login_required
def challenge(code: str):
    _require(access.CHALLENGES_SEGMENTS)
    submitted = {key: (request.form.get(key) or "").strip()
                 for key in ("ruleset", "segment", "reason", "until")}
    try:
        with transaction(get_engine()) as session:
            head = _head_or_404(session, code)
            errors = _request_challenge(session, head.code, submitted)
            if errors:
                raise _Refused(errors, challenge=submitted, challenge_errors=errors)
    except _Refused as refused:
        return _refused_page(code, refused)
    flash(_("Your challenge is sent to your manager."), "success")
    return redirect(url_for("customer.show", code=code) + "#segments")


def _request_challenge(session: Session, code: str, submitted: dict) -> dict[str, str]:
    """Errors by field name, or none once the challenge is stored (pending)."""
    errors = {}
    try:
        until = dt.date.fromisoformat(submitted["until"])
    except ValueError:
        errors["until"] = _("Enter a date as YYYY-MM-DD.")
    if len(submitted["reason"]) > MAX_REASON:
        errors["reason"] = _("At most %(n)s characters.", n=MAX_REASON)
    if errors:
        return errors
    try:
        request_override(session, code, submitted["segment"], until, submitted["reason"],
                         current_user.username, ruleset_id=submitted["ruleset"] or None)
    except InvalidInput as exc:
        return text.challenge_errors(exc.problems)
    except KamflowError:
        return {"segment": _("This ruleset is not published; choose another.")}
    return {}
