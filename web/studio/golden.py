"""Golden customers of a ruleset in the studio: the pinned customers with the segment each
must keep (and the one it has now), a search to pick a customer by name or code, pin, change
and unpin."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import Session

from engine.access import Viewer
from engine.db import transaction
from engine.definitions import golden, store
from engine.errors import InvalidInput, NotFound
from web.customers import STATUS_LABELS
from web.database import get_engine
from web.studio import bp

QUERY_LIMIT = 100


def segment_looks(session: Session, def_id: str,
                  number: int | None = None) -> dict[str, golden.SegmentChoice]:
    """Segment id → label and colour: the published (or latest) version's segments, and those of
    version ``number`` when given (a draft may name new ones)."""
    looks = {s.id: s for s in golden.segment_choices(session, def_id)}
    if number is not None:
        looks.update({s.id: s for s in golden.segment_choices(session, def_id, number)
                      if s.id not in looks})
    return looks


def _ruleset(session: Session, def_id: str):
    definition = store.find_definition(session, "ruleset", def_id)
    if definition is None:
        abort(404)
    return definition


def _page(def_id: str, errors: dict | None = None, form: dict | None = None, status: int = 200):
    query = request.args.get("q", "").strip()[:QUERY_LIMIT]
    with Session(get_engine()) as session:
        definition = _ruleset(session, def_id)
        title = store.latest_version(session, definition).content.get("title")
        choices = golden.segment_choices(session, def_id)
        found = golden.find_customers(session, Viewer.of(current_user), query) if query else []
        return render_template(
            "studio/golden.html", definition=definition, title=title, choices=choices,
            looks={c.id: c for c in choices}, pins=golden.expectations(session, def_id),
            query=query, found=found, errors=errors or {}, form=form or {},
            note_limit=golden.NOTE_LIMIT, statuses=STATUS_LABELS), status


@bp.get("/ruleset/<def_id>/golden")
def golden_customers(def_id: str):
    return _page(def_id)


@bp.post("/ruleset/<def_id>/golden")
def golden_pin(def_id: str):
    form = {key: request.form.get(key, "") for key in ("customer", "segment", "note")}
    try:
        with transaction(get_engine()) as session:
            _ruleset(session, def_id)
            row = golden.pin(session, def_id, form["customer"], form["segment"], form["note"],
                             current_user.username)
            name = row.customer.name
    except InvalidInput as exc:
        errors = {}
        for problem in exc.problems:
            errors.setdefault(problem.path, []).append(problem.message)
        return _page(def_id, errors, form, 400)
    flash(_("%(name)s is pinned to the segment it must keep.", name=name), "success")
    return redirect(url_for("studio.golden_customers", def_id=def_id), 303)


@bp.post("/ruleset/<def_id>/golden/remove")
def golden_unpin(def_id: str):
    code = request.form.get("customer", "")
    try:
        with transaction(get_engine()) as session:
            _ruleset(session, def_id)
            golden.unpin(session, def_id, code, current_user.username)
    except NotFound:
        abort(404)
    flash(_("Customer %(code)s is no longer pinned.", code=code), "success")
    return redirect(url_for("studio.golden_customers", def_id=def_id), 303)
