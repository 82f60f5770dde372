"""``/notifications``: the signed-in user's in-app notifications (the engine queues them: new
tasks, decided challenges…), marking them read, and the unread count in the header."""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from engine import access
from engine.db import transaction
from engine.models import Notification, utcnow
from web.database import get_engine
from web.security import safe_next
from web.times import local_time

bp = Blueprint("notifications", __name__)

PAGE = 50
COUNT_CAP = 99           # the header shows "99+" beyond this


def _viewer() -> access.Viewer:
    return access.Viewer.of(current_user)


def unread_count() -> int:
    """How many unread notifications the signed-in user has (counted up to ``COUNT_CAP`` + 1,
    once per request)."""
    if not current_user.is_authenticated:
        return 0
    if "unread_notifications" not in g:
        unread = (select(Notification.id)
                  .where(access.notifications(_viewer()), Notification.read_at.is_(None))
                  .limit(COUNT_CAP + 1).subquery())
        with Session(get_engine()) as session:
            g.unread_notifications = session.scalar(select(func.count()).select_from(unread))
    return g.unread_notifications


@bp.app_context_processor
def _header_helpers():
    return {"unread_notifications": unread_count, "unread_cap": COUNT_CAP}


@bp.get("/notifications")
@login_required
def index():
    before = request.args.get("before", type=int)
    query = (select(Notification.id, Notification.kind, Notification.subject, Notification.body,
                    Notification.payload, Notification.created_at, Notification.read_at)
             .where(access.notifications(_viewer())).order_by(Notification.id.desc()))
    if before:
        query = query.where(Notification.id < before)
    with Session(get_engine()) as session:
        rows = session.execute(query.limit(PAGE + 1)).all()
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    return render_template("notifications/index.html", rows=rows, local_time=local_time,
                           next_before=rows[-1].id if more else None, unread=unread_count())


def _back():
    target = request.form.get("next")
    return redirect(safe_next(target) if target else url_for("notifications.index"), 303)


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def read(notification_id: int):
    with transaction(get_engine()) as session:
        found = session.scalar(select(Notification.id).where(
            Notification.id == notification_id, access.notifications(_viewer())))
        if found is None:
            abort(404)
        session.execute(update(Notification)
                        .where(Notification.id == notification_id,
                               Notification.read_at.is_(None))
                        .values(read_at=utcnow()))
    return _back()


@bp.post("/notifications/read-all")
@login_required
def read_all():
    with transaction(get_engine()) as session:
        session.execute(update(Notification)
                        .where(access.notifications(_viewer()), Notification.read_at.is_(None))
                        .values(read_at=utcnow()))
    flash(_("All notifications are marked as read."), "success")
    return _back()
