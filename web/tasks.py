"""``/tasks``: the inbox (overdue / this week / later), a task with its actions — start,
complete (a visit or call task records the visit), postpone, reassign — through the one
visibility policy (``engine.access``)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from flask import (Blueprint, abort, flash, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import and_, case, false, func, or_, select
from sqlalchemy.orm import Session

from engine import access, audit
from engine.db import transaction
from engine.errors import Conflict, InvalidInput, NotFound
from engine.models import AccessToken, AuditEntry, Definition, DefinitionVersion, Task, User
from engine.tasks import complete_task, start_task
from engine.tasks.assignees import OPEN_STATUSES
from engine.tasks.listing import ASSIGNEES, CUSTOMERS, TASKS, title_sql
from engine.tasks.postpone import MAX_REASON, postpone_task
from engine.tasks.reassign import AssigneeRefused, reassign_task
from engine.text import pick_text
from web import vocabulary
from engine.tokens import CALENDAR
from web.accounts import role_required
from web.database import get_engine
from web.i18n import current_locale
from web.security import safe_next
from web.times import local_time, zone

bp = Blueprint("tasks", __name__)

PAGE = 50                 # rows per group on the inbox
GROUP_PAGE = 100          # rows per page of one group
MAX_NOTE = 2000
GROUPS = ("overdue", "week", "later")
GROUP_TITLES = {"overdue": _l("Overdue"), "week": _l("This week"), "later": _l("Later"),
                "done": _l("Done")}
STATUS_FILTERS = {"open": OPEN_STATUSES, "in_progress": ("in_progress",), "done": ("done",)}
STATUS_LABELS = {"open": _l("Open"), "in_progress": _l("In progress"), "done": _l("Done"),
                 "cancelled": _l("Cancelled")}
PRIORITY_LABELS = {"low": _l("Low"), "normal": _l("Normal"), "high": _l("High"),
                   "urgent": _l("Urgent")}
ACTION_LABELS = {"task.start": _l("Started"), "task.complete": _l("Completed"),
                 "task.postpone": _l("Postponed"), "task.reassign": _l("Reassigned")}


def _viewer() -> access.Viewer:
    return access.Viewer.of(current_user)


def _today() -> dt.date:
    return dt.datetime.now(zone()).date()


def kind_label(kind: str | None) -> str:
    return vocabulary.task_kind(kind)


@bp.app_template_global()
def task_labels():
    """Label helpers of the task templates (kind, status, priority, action)."""
    return {"kind": kind_label, "status": lambda s: str(STATUS_LABELS.get(s, s)),
            "priority": lambda p: str(PRIORITY_LABELS.get(p, p or "")),
            "action": lambda a: str(ACTION_LABELS.get(a, a)), "local_time": local_time}


# ---------------------------------------------------------------------------------- inbox

@dataclass
class InboxFilter:
    """The inbox's filters as the query string gives them, checked."""

    status: str = "open"
    kind: str = ""
    customer: str = ""
    assignee: str = ""
    group: str = ""
    after: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_args(cls, args) -> InboxFilter:
        found = cls(**{name: args.get(name, "").strip()[:200]
                       for name in ("status", "kind", "customer", "assignee", "group", "after")})
        if found.status not in STATUS_FILTERS:
            found.status = "open"
        if found.group not in GROUPS + ("done",):
            found.group = ""
        return found

    def query(self, **changes) -> dict[str, str]:
        """The query string of these filters with ``changes`` (empty values left out)."""
        values = {"status": self.status if self.status != "open" else "", "kind": self.kind,
                  "customer": self.customer, "assignee": self.assignee, "group": self.group}
        values.update(changes)
        return {key: value for key, value in values.items() if value}


def _week_end(today: dt.date) -> dt.date:
    return today + dt.timedelta(days=6 - today.weekday())


def _group_condition(group: str, today: dt.date):
    due = TASKS.c.due_date
    return {"overdue": due < today,
            "week": and_(due >= today, due <= _week_end(today)),
            "later": due > _week_end(today)}.get(group)


def _conditions(session: Session, viewer: access.Viewer, filters: InboxFilter) -> list:
    """The SQL conditions of the filtered inbox: always the viewer's visible tasks."""
    tasks = TASKS.c
    conditions = [access.tasks(viewer), tasks.status.in_(STATUS_FILTERS[filters.status])]
    if filters.kind:
        conditions.append(tasks.kind == filters.kind)
    if filters.customer:
        conditions.append(or_(CUSTOMERS.c.code.icontains(filters.customer, autoescape=True),
                              CUSTOMERS.c.name.icontains(filters.customer, autoescape=True)))
    if filters.assignee and access.may(viewer, access.REASSIGNS_TASKS):
        assignee_id = session.scalar(select(User.id).where(User.username == filters.assignee,
                                                           access.users(viewer)))
        if assignee_id is None:
            filters.errors["assignee"] = _("Nobody of that name is in your team.")
            conditions.append(false())
        else:
            conditions.append(tasks.assignee_id == assignee_id)
    return conditions


def _rows_query(dialect: str, conditions: list, descending: bool = False):
    tasks = TASKS.c
    order = ((tasks.due_date.desc(), tasks.id.desc()) if descending
             else (tasks.due_date, tasks.id))
    return (select(tasks.id, title_sql(dialect, current_locale()).label("title"), tasks.kind,
                   tasks.channel, tasks.priority, tasks.status, tasks.due_date, tasks.recurring,
                   CUSTOMERS.c.code.label("customer_code"),
                   CUSTOMERS.c.name.label("customer_name"),
                   ASSIGNEES.c.username.label("assignee"),
                   ASSIGNEES.c.name.label("assignee_name"))
            .join_from(TASKS, CUSTOMERS, CUSTOMERS.c.id == tasks.customer_id)
            .outerjoin(ASSIGNEES, ASSIGNEES.c.id == tasks.assignee_id)
            .where(*conditions).order_by(*order))


def _counts(session: Session, conditions: list, today: dt.date, done: bool) -> dict[str, int]:
    """How many tasks each group holds (one scan, a conditional count per group)."""
    keys = ("done",) if done else GROUPS
    columns = [func.count() if done else
               func.coalesce(func.sum(case((_group_condition(key, today), 1), else_=0)), 0)
               for key in keys]
    row = session.execute(select(*columns).select_from(TASKS)
                          .join(CUSTOMERS, CUSTOMERS.c.id == TASKS.c.customer_id)
                          .where(*conditions)).one()
    return {key: int(count) for key, count in zip(keys, row)}


def _after(marker: str, descending: bool):
    """The keyset condition after ``due:id`` (the last row of the previous page)."""
    due_text, _, id_text = marker.partition(":")
    try:
        due, task_id = dt.date.fromisoformat(due_text), int(id_text)
    except ValueError:
        return None
    column, ids = TASKS.c.due_date, TASKS.c.id
    if descending:
        return or_(column < due, and_(column == due, ids < task_id))
    return or_(column > due, and_(column == due, ids > task_id))


@dataclass
class Group:
    key: str
    count: int
    rows: list
    more: bool
    next_after: str = ""

    @property
    def title(self) -> str:
        return str(GROUP_TITLES[self.key])


def _group(session: Session, key: str, conditions: list, count: int, limit: int,
           after: str = "") -> Group:
    dialect = session.get_bind().dialect.name
    descending = key == "done"
    extra = [] if key == "done" else [_group_condition(key, _today())]
    if after and (keyset := _after(after, descending)) is not None:
        extra.append(keyset)
    rows = session.execute(_rows_query(dialect, conditions + extra, descending)
                           .limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    next_after = f"{rows[-1].due_date.isoformat()}:{rows[-1].id}" if more else ""
    return Group(key, count, rows, more, next_after)


def _kinds(session: Session) -> list[str]:
    """The task kinds of the published workflows (the kind filter's choices)."""
    from engine.definitions.published import build_spec

    kinds: set[str] = set()
    for version_id, content in session.execute(
            select(DefinitionVersion.id, DefinitionVersion.content)
            .join(Definition, Definition.published_version_id == DefinitionVersion.id)
            .where(Definition.kind == "workflow")):
        kinds.update(_kinds_of(version_id, content, build_spec))
    return sorted(kinds)


_KINDS_OF_VERSION: dict[int, tuple[str, ...]] = {}


def _kinds_of(version_id: int, content: dict, build_spec) -> tuple[str, ...]:
    if version_id not in _KINDS_OF_VERSION:
        spec = build_spec("workflow", content, version_id)
        _KINDS_OF_VERSION[version_id] = tuple({t.kind for t in spec.tasks})
    return _KINDS_OF_VERSION[version_id]


def assignable_users(session: Session, viewer: access.Viewer) -> list:
    """(username, name) of the active users ``viewer`` may filter by or assign to."""
    return session.execute(select(User.username, User.name)
                           .where(access.users(viewer), User.active)
                           .order_by(User.name, User.username)).all()


def _calendar_link(session: Session) -> AccessToken | None:
    return session.scalar(select(AccessToken).where(
        AccessToken.user_id == current_user.id, AccessToken.purpose == CALENDAR,
        AccessToken.revoked_at.is_(None)).order_by(AccessToken.id.desc()).limit(1))


@bp.get("/tasks")
@role_required(*access.WORKS_TASKS)
def inbox():
    viewer = _viewer()
    filters = InboxFilter.from_args(request.args)
    today = _today()
    with Session(get_engine()) as session:
        conditions = _conditions(session, viewer, filters)
        done = filters.status == "done"
        counts = _counts(session, conditions, today, done)
        keys = ("done",) if done else GROUPS
        if filters.group and filters.group in keys:
            groups = [_group(session, filters.group, conditions,
                             counts.get(filters.group, 0), GROUP_PAGE, filters.after)]
        else:
            groups = [_group(session, key, conditions, counts.get(key, 0), PAGE)
                      for key in keys]
        managing = access.may(viewer, access.REASSIGNS_TASKS)
        people = assignable_users(session, viewer) if managing else []
        context = dict(filters=filters, groups=groups, counts=counts, today=today,
                       kinds=_kinds(session), people=people, managing=managing,
                       status_choices=[(key, STATUS_LABELS[key]) for key in STATUS_FILTERS],
                       calendar_link=_calendar_link(session), group_titles=GROUP_TITLES)
    status = 400 if filters.errors else 200
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "task-groups":
        return render_template("tasks/_groups.html", **context), status
    return render_template("tasks/inbox.html", **context), status


# ---------------------------------------------------------------------------------- detail

def _task_or_404(session: Session, task_id: int, lock: bool = False) -> Task:
    query = select(Task).where(Task.id == task_id, access.tasks(_viewer()))
    task = session.scalar(query.with_for_update() if lock else query)
    if task is None:
        abort(404)
    return task


def _history(session: Session, task_id: int) -> list:
    return session.execute(select(AuditEntry.at, AuditEntry.actor, AuditEntry.action,
                                  AuditEntry.details)
                           .where(AuditEntry.object_type == "task",
                                  AuditEntry.object_id == str(task_id))
                           .order_by(AuditEntry.at, AuditEntry.id)).all()


def _detail(task_id: int, errors: dict | None = None, values: dict | None = None,
            status: int = 200):
    """The task page; ``errors``/``values`` are a refused form's (field → message / value)."""
    viewer = _viewer()
    with Session(get_engine()) as session:
        task = _task_or_404(session, task_id)
        managing = access.may(viewer, access.REASSIGNS_TASKS)
        context = dict(
            task=task, title=pick_text(task.title, current_locale()), customer=task.customer,
            assignee=task.assignee, history=_history(session, task.id),
            people=assignable_users(session, viewer) if managing else [], managing=managing,
            is_open=task.status in OPEN_STATUSES, today=_today(), errors=errors or {},
            values=values or {}, max_note=MAX_NOTE, max_reason=MAX_REASON,
            back=safe_next(request.values.get("next"), "tasks.inbox"))
        return render_template("tasks/detail.html", **context), status


@bp.get("/tasks/<int:task_id>")
@role_required(*access.WORKS_TASKS)
def detail(task_id: int):
    return _detail(task_id)


def _done(task_id: int, message: str):
    flash(message, "success")
    target = request.form.get("next")
    return redirect(safe_next(target) if target else url_for("tasks.detail", task_id=task_id),
                    303)


def _state_refused(task_id: int, error: Exception):
    return _detail(task_id, {"form": _("This task can no longer do that: it is %(status)s.",
                                       status=_status_now(task_id))}, status=409)


def _status_now(task_id: int) -> str:
    with Session(get_engine()) as session:
        status = session.scalar(select(Task.status).where(Task.id == task_id))
    return str(STATUS_LABELS.get(status, status))


@bp.post("/tasks/<int:task_id>/start")
@role_required(*access.WORKS_TASKS)
def start(task_id: int):
    try:
        with transaction(get_engine()) as session:
            _task_or_404(session, task_id, lock=True)
            start_task(session, task_id, current_user.username)
            audit.record(session, current_user.username, "task.start", "task", task_id)
    except Conflict as error:
        return _state_refused(task_id, error)
    return _done(task_id, _("Task started."))


@bp.post("/tasks/<int:task_id>/complete")
@role_required(*access.WORKS_TASKS)
def complete(task_id: int):
    note = request.form.get("note", "").strip()
    if len(note) > MAX_NOTE:
        with Session(get_engine()) as session:
            _task_or_404(session, task_id)
        return _detail(task_id, {"note": _("The note is too long (at most %(n)d characters).",
                                           n=MAX_NOTE)}, {"note": note}, 400)
    try:
        with transaction(get_engine()) as session:
            _task_or_404(session, task_id, lock=True)
            result = complete_task(session, task_id, current_user.username, note=note or None)
            details = {"note": note} if note else {}
            if result.visit is not None:
                details.update(visit=result.visit.visit_id, channel=result.visit.channel)
            audit.record(session, current_user.username, "task.complete", "task", task_id,
                         details)
            visit = result.visit and (result.visit.channel, result.visit.date)
            following = result.next_task and result.next_task.due_date
    except Conflict as error:
        return _state_refused(task_id, error)
    parts = [_("Task completed.")]
    if visit:
        parts.append(_("The %(channel)s on %(date)s is recorded as a visit.",
                       channel=vocabulary.channel(visit[0]), date=visit[1].isoformat()))
    if following:
        parts.append(_("The next one is due %(date)s.", date=following.isoformat()))
    return _done(task_id, ("" if current_locale() == "zh" else " ").join(parts))


def _parse_date(raw: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        return None


@bp.post("/tasks/<int:task_id>/postpone")
@role_required(*access.WORKS_TASKS)
def postpone(task_id: int):
    raw, reason = request.form.get("due_date", "").strip(), request.form.get("reason", "")
    due, today = _parse_date(raw), _today()
    errors = {}
    if due is None:
        errors["due_date"] = _("Enter the new due date as YYYY-MM-DD.")
    elif due < today:
        errors["due_date"] = _("Choose a date from today on.")
    if not reason.strip():
        errors["reason"] = _("Please write why the task is postponed.")
    elif len(reason.strip()) > MAX_REASON:
        errors["reason"] = _("The reason is too long (at most %(n)d characters).", n=MAX_REASON)
    values = {"due_date": raw, "reason": reason}
    if errors:
        with Session(get_engine()) as session:
            _task_or_404(session, task_id)
        return _detail(task_id, errors, values, 400)
    try:
        with transaction(get_engine()) as session:
            _task_or_404(session, task_id, lock=True)
            postpone_task(session, task_id, current_user.username, due, reason, today)
    except InvalidInput as error:
        message = "; ".join(problem.message for problem in error.problems)
        return _detail(task_id, {"form": message}, values, 400)
    except Conflict as error:
        return _state_refused(task_id, error)
    return _done(task_id, _("Task postponed to %(date)s.", date=due.isoformat()))


@bp.post("/tasks/<int:task_id>/reassign")
@role_required(*access.REASSIGNS_TASKS)
def reassign(task_id: int):
    username = request.form.get("assignee", "").strip()
    try:
        with transaction(get_engine()) as session:
            reassign_task(session, task_id, _viewer(), username)
            name = session.scalar(select(User.name).where(User.username == username))
    except NotFound:
        abort(404)
    except AssigneeRefused as error:
        messages = {"outside": _("Tasks can only go to an active member of your team."),
                    "inactive": _("This user is no longer active."),
                    "same": _("The task is already assigned to this user.")}
        return _detail(task_id, {"assignee": messages[error.reason]},
                       {"assignee": username}, 400)
    except Conflict as error:
        return _state_refused(task_id, error)
    return _done(task_id, _("Task reassigned to %(name)s. They have been notified.",
                            name=name or username))
