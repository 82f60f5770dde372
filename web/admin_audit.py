"""``/admin/audit``: the audit log for admins (SPEC §5.1, §7): entries newest first, filtered
by who, what and when through the query string, in keyset pages, with links to the records
they are about, and as CSV."""
from __future__ import annotations

import datetime as dt
import json
import re

from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask_babel import gettext as _

from engine import access, audit_log
from engine.models import DEFINITION_KINDS
from engine.spreadsheet import cell
from web.accounts import role_required
from web.database import get_engine
from web.downloads import csv_download
from web.times import local_time, zone

bp = Blueprint("admin_audit", __name__)
ADMINS = (access.ADMIN,)
SUMMARY_LENGTH = 160
WORKFLOW_RUN = re.compile(r"@run(\d+)$")
CSV_HEADER = ("id", "at", "actor", "action", "object_type", "object_id", "details")


def _date(name: str, errors: dict) -> dt.date | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        errors[name] = _("Enter a date as YYYY-MM-DD.")
        return None


def _filters() -> tuple[audit_log.AuditFilters, dict]:
    """The filters of the query string, and the problems with them (field → message)."""
    args, errors = request.args, {}

    def text(name: str, limit: int = 200) -> str | None:
        return (args.get(name) or "").strip()[:limit] or None

    date_from, date_to = _date("from", errors), _date("to", errors)
    if date_from and date_to and date_to < date_from:
        errors["to"] = _("The end date is before the start date.")
    filters = audit_log.AuditFilters(
        actor=text("actor", 100), action=text("action", 100), object_type=text("type", 50),
        date_from=date_from, date_to=date_to, object_text=text("object"),
        before=args.get("before", type=int))
    return filters, errors


def object_link(row) -> str | None:
    """The page of the record an entry is about, when there is one and it is cheap to find."""
    kind, object_id = row.object_type, row.object_id
    details = row.details if isinstance(row.details, dict) else {}
    if kind == "customer" and object_id:
        return url_for("customer.show", code=object_id)
    if kind == "segment_override" and details.get("customer_code"):
        return url_for("customer.show", code=str(details["customer_code"]))
    if kind == "task" and object_id.isdigit():
        return url_for("tasks.detail", task_id=int(object_id))
    if kind == "job" and object_id.isdigit():
        return url_for("jobs.show", job_id=int(object_id))
    if kind in ("run", "evaluation_run") and object_id.isdigit():
        return url_for("runs.show", run_id=int(object_id))
    if kind == "workflow" and WORKFLOW_RUN.search(object_id):
        return url_for("runs.show", run_id=int(WORKFLOW_RUN.search(object_id).group(1)))
    if kind in audit_log.USER_OBJECTS and row.object_user_id is not None:
        return url_for("admin_users.edit", user_id=row.object_user_id)
    if row.action.startswith("definition.") and kind in DEFINITION_KINDS and object_id:
        return url_for("studio.show", kind=kind, def_id=object_id)   # its versions and diff
    if kind == "access_token" and isinstance(details.get("user_id"), int):
        return url_for("admin_users.edit", user_id=details["user_id"])
    return None


def details_text(details) -> str:
    """The details as JSON text (shown as text, never as markup)."""
    if not details:
        return ""
    return json.dumps(details, ensure_ascii=False, sort_keys=True, default=str)


def _entry(row) -> dict:
    full = details_text(row.details)
    return {"id": row.id, "at": local_time(row.at), "actor": row.actor,
            "actor_url": (url_for("admin_users.edit", user_id=row.actor_user_id)
                          if row.actor_user_id is not None else None),
            "action": row.action, "object_type": row.object_type, "object_id": row.object_id,
            "object_url": object_link(row), "details": full,
            "summary": full if len(full) <= SUMMARY_LENGTH else full[:SUMMARY_LENGTH] + "…",
            "definition": row.action.startswith("definition.")}


@bp.get("/admin/audit")
@role_required(*ADMINS)
def index():
    filters, errors = _filters()
    with get_engine().connect() as connection:
        rows, next_before = ([], None) if errors else audit_log.entries(connection, filters,
                                                                         zone())
        object_types = audit_log.object_types(connection)
        actors = audit_log.actors(connection)
    args = {key: value for key, value in request.args.items() if key != "before" and value}
    return render_template("admin/audit.html", entries=[_entry(row) for row in rows],
                           next_before=next_before, args=args, errors=errors,
                           object_types=object_types, actors=actors,
                           tz=current_app.config["TIMEZONE"]), 400 if errors else 200


@bp.get("/admin/audit/export.csv")
@role_required(*ADMINS)
def export():
    filters, errors = _filters()
    if errors:
        return Response("; ".join(errors.values()) + "\n", status=400, mimetype="text/plain")
    engine, tz = get_engine(), zone()

    def rows():
        with engine.connect() as connection:
            for row in audit_log.stream(connection, filters, tz):
                at = row.at.astimezone(tz).isoformat(timespec="seconds")
                yield [row.id, at] + [cell(value) for value in (
                    row.actor, row.action, row.object_type, row.object_id,
                    details_text(row.details))]

    return csv_download(CSV_HEADER, rows(), "audit.csv")
