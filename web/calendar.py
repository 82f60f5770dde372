"""``/calendar/<token>.ics``: a user's open tasks as an iCalendar feed (RFC 5545) for phone and
desktop calendar apps, opened by a revocable calendar token; and the buttons that make or stop
the signed-in user's link."""
from __future__ import annotations

import datetime as dt
import re

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import access, tokens
from engine.db import transaction
from engine.models import AccessToken, Customer, Task, utcnow
from engine.tasks.assignees import OPEN_STATUSES
from engine.text import pick_text
from web.accounts import role_required
from web.database import get_engine

bp = Blueprint("calendar", __name__)

MAX_EVENTS = 5000
CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
LINE_OCTETS = 75
FEED_TEXT = {
    "zh": {"name": "kamflow 任务", "customer": "客户", "kind": "类型", "status": "状态",
           "open": "待办", "in_progress": "进行中"},
    "en": {"name": "kamflow tasks", "customer": "Customer", "kind": "Kind", "status": "Status",
           "open": "open", "in_progress": "in progress"},
}
# The UID's domain part: the same for every address the app is reached by, so that an event
# keeps its identity (RFC 5545 §3.8.4.7).
UID_DOMAIN = "kamflow"


# ------------------------------------------------------------------------- serialization

def escape_text(value: str) -> str:
    """A TEXT value (RFC 5545 §3.3.11): backslash, semicolon, comma and newline escaped, other
    control characters dropped."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    value = value.replace("\n", "\\n")
    return CONTROL.sub("", value)


def fold(line: str) -> str:
    """A content line folded to at most 75 octets per line (§3.1), never inside a UTF-8
    character; continuation lines start with a space."""
    pieces, current, size = [], [], 0
    for char in line:
        width = len(char.encode("utf-8"))
        limit = LINE_OCTETS if not pieces else LINE_OCTETS - 1
        if size + width > limit:
            pieces.append("".join(current))
            current, size = [], 0
        current.append(char)
        size += width
    pieces.append("".join(current))
    return "\r\n ".join(pieces)


def content_line(name: str, value: str) -> str:
    return fold(f"{name}:{value}") + "\r\n"


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def calendar_text(events: list[dict], name: str) -> str:
    """A VCALENDAR of all-day VEVENTs, one per task (``id``, ``due``, ``summary``,
    ``description``, ``url``); the UID is the task's, so an update replaces the event."""
    stamp = _stamp(utcnow())
    lines = [content_line("BEGIN", "VCALENDAR"), content_line("VERSION", "2.0"),
             content_line("PRODID", "-//kamflow//tasks//EN"),
             content_line("CALSCALE", "GREGORIAN"), content_line("METHOD", "PUBLISH"),
             content_line("X-WR-CALNAME", escape_text(name))]
    for event in events:
        due: dt.date = event["due"]
        lines += [content_line("BEGIN", "VEVENT"),
                  content_line("UID", f"task-{event['id']}@{UID_DOMAIN}"),
                  content_line("DTSTAMP", stamp),
                  content_line("DTSTART;VALUE=DATE", due.strftime("%Y%m%d")),
                  content_line("DTEND;VALUE=DATE",
                               (due + dt.timedelta(days=1)).strftime("%Y%m%d")),
                  content_line("SUMMARY", escape_text(event["summary"])),
                  content_line("DESCRIPTION", escape_text(event["description"])),
                  content_line("URL", event["url"]),
                  content_line("TRANSP", "TRANSPARENT"),
                  content_line("END", "VEVENT")]
    lines.append(content_line("END", "VCALENDAR"))
    return "".join(lines)


# -------------------------------------------------------------------------------- routes

def _events(session: Session, user) -> list[dict]:
    """The user's open tasks (assigned to them, and within their view) as event values."""
    viewer = access.Viewer(user.id, user.username, user.role, user.team)
    texts = FEED_TEXT.get(user.locale or "zh", FEED_TEXT["zh"])
    rows = session.execute(
        select(Task.id, Task.title, Task.kind, Task.status, Task.due_date, Customer.code,
               Customer.name)
        .join(Customer, Customer.id == Task.customer_id)
        .where(Task.assignee_id == user.id, access.tasks(viewer),
               Task.status.in_(OPEN_STATUSES))
        .order_by(Task.due_date, Task.id).limit(MAX_EVENTS))
    events = []
    for task_id, title, kind, status, due, code, name in rows:
        text = pick_text(title, user.locale)
        events.append({
            "id": task_id, "due": due, "summary": text if name in text else f"{text} · {name}",
            "description": f"{texts['customer']}: {name} ({code})\n{texts['kind']}: {kind}\n"
                           f"{texts['status']}: {texts.get(status, status)}",
            "url": url_for("tasks.detail", task_id=task_id, _external=True)})
    return events


@bp.get("/calendar/<token>.ics")
def feed(token: str):
    with transaction(get_engine()) as session:
        user = tokens.user_of_token(session, token, purpose=tokens.CALENDAR)
        if user is None:
            abort(404)
        events = _events(session, user)
        name = FEED_TEXT.get(user.locale or "zh", FEED_TEXT["zh"])["name"]
    body = calendar_text(events, name)
    response = Response(body.encode("utf-8"), content_type="text/calendar; charset=utf-8")
    response.headers["Cache-Control"] = "private, max-age=300"
    response.headers["Content-Disposition"] = 'inline; filename="kamflow-tasks.ics"'
    return response


@bp.post("/calendar/link")
@role_required(*access.WORKS_TASKS)
def link():
    """A new calendar link (any older one stops working); its address is shown once."""
    with transaction(get_engine()) as session:
        made = tokens.replace_calendar_token(session, current_user.username,
                                             actor=current_user.username)
    url = url_for("calendar.feed", token=made.secret, _external=True)
    webcal = "webcal://" + url.split("://", 1)[1]
    response = Response(render_template("tasks/calendar_link.html", url=url, webcal=webcal))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/calendar/revoke")
@role_required(*access.WORKS_TASKS)
def revoke():
    """Stop every calendar link of the signed-in user."""
    with transaction(get_engine()) as session:
        live = session.scalars(select(AccessToken.id).where(
            AccessToken.user_id == current_user.id, AccessToken.purpose == tokens.CALENDAR,
            AccessToken.revoked_at.is_(None))).all()
        for token_id in live:
            tokens.revoke_token(session, token_id, actor=current_user.username)
    flash(_("Your calendar link no longer works.") if live
          else _("You had no calendar link."), "info")
    return redirect(url_for("tasks.inbox"), 303)
