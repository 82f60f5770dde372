"""``GET /api/v1/tasks`` (the fields of ``kamflow tasks list``, filtered by ``engine.access``)
and ``POST /api/v1/tasks/<id>/complete``."""
from __future__ import annotations

import datetime as dt

from flask import request
from sqlalchemy import Connection, literal, select, tuple_

from engine import access
from engine.db import transaction
from engine.models import TASK_STATUSES, User
from engine.tasks import complete_task
from engine.tasks.listing import ASSIGNEES, CUSTOMERS, LIST_FIELDS, TASKS, title_sql
from web.api import bp
from web.api.auth import caller, require
from web.api.errors import ApiError
from web.api.params import decode_cursor, day, encode_cursor, limit, respond, text
from web.database import get_engine

NOTE_MAX = 2000


@bp.get("/tasks")
def list_tasks():
    """By due date then id; ``status``, ``assignee`` (a username the caller may see),
    ``due_before`` (YYYY-MM-DD, exclusive); ``limit`` and ``after``."""
    size, due_before, position = limit(), day("due_before"), decode_cursor("tasks", str, int)
    status, assignee = text("status"), text("assignee")
    if status is not None and status not in TASK_STATUSES:
        raise ApiError(422, f"unknown status {status!r} (one of {', '.join(TASK_STATUSES)})")
    who = caller()
    conditions = [access.tasks(who.viewer)]
    if due_before is not None:
        conditions.append(TASKS.c.due_date < due_before)
    if status is not None:
        conditions.append(TASKS.c.status == status)
    with get_engine().connect() as connection:
        if assignee is not None:
            conditions.append(TASKS.c.assignee_id == _user_id(connection, who.viewer, assignee))
        if position is not None:
            conditions.append(_after(position))
        rows = connection.execute(_listing(connection, who.locale, conditions)
                                  .limit(size + 1)).all()
    items = [dict(zip(LIST_FIELDS, row)) for row in rows[:size]]
    after = None
    if len(rows) > size:
        last = items[-1]
        after = encode_cursor("tasks", last["due_date"].isoformat(), last["id"])
    return respond({"items": items, "next": after})


def _after(position: tuple[str, int]):
    try:
        due = dt.date.fromisoformat(position[0])
    except ValueError:
        raise ApiError(400, "invalid cursor: use the 'next' value of the previous page") from None
    return tuple_(TASKS.c.due_date, TASKS.c.id) > tuple_(literal(due), literal(position[1]))


def _listing(connection: Connection, locale: str, conditions: list):
    """The ``tasks list`` columns of the tasks meeting ``conditions``, by due date then id;
    titles in ``locale``."""
    t = TASKS.c
    title = title_sql(connection.dialect.name, locale)
    return (select(t.id, CUSTOMERS.c.code, t.workflow_id, t.template, t.segment,
                   t.previous_segment, title, t.kind, t.recurring, ASSIGNEES.c.username,
                   t.status, t.due_date, t.run_id)
            .join_from(TASKS, CUSTOMERS, CUSTOMERS.c.id == t.customer_id)
            .outerjoin(ASSIGNEES, ASSIGNEES.c.id == t.assignee_id)
            .where(*conditions)
            .order_by(t.due_date, t.id))


def _user_id(connection: Connection, viewer: access.Viewer, username: str) -> int:
    """The id of ``username`` among the users ``viewer`` may see (the same 422 for one that
    does not exist)."""
    found = connection.scalar(select(User.id).where(User.username == username,
                                                    access.users(viewer)))
    if found is None:
        raise ApiError(422, f"unknown assignee {username!r}")
    return found


@bp.post("/tasks/<int:task_id>/complete")
def complete(task_id: int):
    """``{"note": "…"}`` (optional): the task is done; a visit or call task records the
    visit. Returns the task as listed, with the visit and the next occurrence, if any."""
    who = caller()
    viewer = require(access.WORKS_TASKS)
    note = _note()
    with transaction(get_engine()) as session:
        visible = session.scalar(select(TASKS.c.id).where(TASKS.c.id == task_id,
                                                          access.tasks(viewer)))
        if visible is None:
            raise ApiError(404, f"no task {task_id}")
        done = complete_task(session, task_id, viewer.username, note=note)
        visit_id = done.visit.id if done.visit is not None else None
        next_id = done.next_task.id if done.next_task is not None else None
    with get_engine().connect() as connection:
        row = connection.execute(_listing(connection, who.locale,
                                          [TASKS.c.id == task_id])).first()
    return respond({"task": dict(zip(LIST_FIELDS, row)), "visit_id": visit_id,
                          "next_task_id": next_id})


def _note() -> str | None:
    if not request.get_data():
        return None
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, 'the body must be a JSON object such as {"note": "…"}')
    note = body.get("note")
    if note is not None and not isinstance(note, str):
        raise ApiError(422, "note must be text or null")
    if note is not None and len(note) > NOTE_MAX:
        raise ApiError(422, f"note has at most {NOTE_MAX} characters")
    return note.strip() or None if note is not None else None
