"""The structured ruleset editor: scope, window, schedule in words, metrics, axes and items with
their score editors, the classification. It edits the text of the latest version (comments
kept, ``engine.definitions.ruleset_edit``) and saves a draft checked like ``pack import``; the
published version is never touched. Works as plain forms: every button posts the whole form
with the working text, and only "Save draft" stores anything."""
from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import Session

from engine.config import load_settings
from engine.db import transaction
from engine.definitions import drafts, store
from engine.definitions.ruleset_edit import EditError, SetValue, apply_changes, check_text
from engine.definitions.schedule_words import describe_schedule, next_times
from engine.definitions.yamlsafe import parse_text
from engine.errors import ExpressionError, InvalidInput, Problem
from engine.expr import parse
from web.database import get_engine
from web.i18n import current_locale
from web.studio import bp, flash_saved
from web.studio.definition import _load
from web.studio.ruleset_editor_form import FormReader, parse_path

KIND = "ruleset"
EXPRESSION_FIELDS = re.compile(r"str\|\$\.(metrics\.[a-z][a-z0-9_]*\.(of|where|formula)|"
                               r"classification\.tiers\[\d+\]\.when)\Z")
_POSITION = re.compile(r", position (\d+):")


def _state(session: Session, def_id: str):
    definition, _versions = _load(session, KIND, def_id)
    latest = store.latest_version(session, definition)
    return definition, latest, store.published_version(session, definition)


def _content(text: str, file_format: str) -> dict | None:
    parsed = parse_text(text, drafts.file_name(KIND, "draft", file_format))
    return parsed.content if not parsed.problems and isinstance(parsed.content, dict) else None


def _render(definition, latest, published, text: str, problems=(), field_errors=(),
            status: int = 200):
    content = _content(text, latest.source_format)
    by_path: dict[str, list[str]] = {}
    for problem in problems:
        if problem.path:
            by_path.setdefault(problem.path, []).append(problem.message)
    for error in field_errors:
        by_path.setdefault(error.path, []).append(error.message)
    return render_template(
        "studio/ruleset_editor.html", definition=definition, latest=latest,
        published=published, text=text, content=content, problems=list(problems),
        field_errors=list(field_errors), errors_at=by_path,
        schedule=_schedule((content or {}).get("schedule")),
        base=request.form.get("base", type=int),
        here=drafts.file_name(KIND, definition.def_id, latest.source_format)), status


@bp.route("/ruleset/<def_id>/design", methods=("GET", "POST"))
def ruleset_editor(def_id: str):
    with Session(get_engine()) as session:
        definition, latest, published = _state(session, def_id)
    if request.method == "GET":
        return _render(definition, latest, published, latest.source)
    text = request.form.get("source", "").replace("\r\n", "\n") or latest.source
    content = _content(text, latest.source_format)
    if content is None:
        return _render(definition, latest, published, text, status=400)
    changes, errors = FormReader(request.form, content).read()
    try:
        text = apply_changes(text, changes, latest.source_format)
    except EditError as exc:
        return _render(definition, latest, published, text, problems=exc.problems, status=400)
    if errors:
        # The readable changes are kept in the form; nothing is saved.
        return _render(definition, latest, published, text, field_errors=errors, status=400)
    if request.form.get("action") != "save":
        return _render(definition, latest, published, text)
    if request.form.get("base", type=int) not in (None, latest.number):
        problem = Problem(message=f"version {latest.number} was saved after this editor "
                                  f"opened version {request.form.get('base', type=int)}; "
                                  "open the editor again to start from it")
        return _render(definition, latest, published, text, problems=[problem], status=409)
    return _save(definition, latest, published, text)


def _save(definition, latest, published, text: str):
    try:
        with transaction(get_engine()) as session:
            version = drafts.save_text(session, KIND, definition.def_id, text,
                                       current_user.username, latest.source_format,
                                       definition.pack_id)
            number = version.number
    except InvalidInput as exc:
        return _render(definition, latest, published, text, problems=exc.problems, status=400)
    flash_saved(number, latest.number)
    return redirect(url_for("studio.show", kind=KIND, def_id=definition.def_id), 303)


def _zone():
    try:
        return ZoneInfo(load_settings().timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _schedule(expression) -> dict:
    """The schedule's words and next three times, or the scheduler's message."""
    if not isinstance(expression, str) or not expression.strip():
        return {"expression": "", "words": None, "times": [], "error": None}
    zone = _zone()
    try:
        times = next_times(expression, zone, datetime.now(zone))
    except InvalidInput as exc:
        return {"expression": expression, "words": None, "times": [],
                "error": exc.problems[0].message}
    return {"expression": expression, "words": describe_schedule(expression, current_locale()),
            "times": times, "error": None, "zone": str(zone)}


@bp.get("/ruleset/<def_id>/design/schedule")
def ruleset_schedule(def_id: str):
    with Session(get_engine()) as session:
        _state(session, def_id)
    expression = request.args.get("str|$.schedule", "")[:200]
    return render_template("studio/ruleset_editor_schedule.html",
                           schedule=_schedule(expression.strip()))


@bp.post("/ruleset/<def_id>/design/check")
def ruleset_expression(def_id: str):
    """One expression of the form checked as the validator checks it, inside the working
    text: the problem at that field with its position, or that it is fine."""
    with Session(get_engine()) as session:
        definition, latest, _published = _state(session, def_id)
        documents = store.published_documents(session)
    name = request.headers.get("HX-Trigger-Name") or request.form.get("field", "")
    if not EXPRESSION_FIELDS.match(name):
        return render_template("studio/ruleset_editor_check.html", result=None)
    path = name.partition("|")[2]
    expression = request.form.get(name, "")
    result = {"text": expression, "messages": [], "position": None}
    text = request.form.get("source", "") or latest.source
    try:
        text = apply_changes(text, [SetValue(parse_path(path), expression.strip() or None)],
                             latest.source_format)
        problems = check_text(text, drafts.file_name(KIND, "draft", latest.source_format),
                              [d for d in documents if (d.kind, d.def_id) != (KIND, def_id)])
    except InvalidInput as exc:
        problems = list(exc.problems)
    result["messages"] = [p.message for p in problems if p.path == path]
    result["position"] = _position(expression, result["messages"])
    return render_template("studio/ruleset_editor_check.html", result=result)


def _position(expression: str, messages: list[str]) -> int | None:
    """Where the parser or checker stops in ``expression`` (0-based), if it says."""
    try:
        parse(expression)
    except ExpressionError as exc:
        return exc.position
    for message in messages:
        found = _POSITION.search(message)
        if found:
            return int(found.group(1)) - 1
    return None
