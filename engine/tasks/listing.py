"""Reading tasks back: the rows of ``kamflow tasks list`` (SPEC §5), streamed from the database.

A listing can hold hundreds of thousands of tasks, so rows come from a Core ``select`` read in
batches (a server-side cursor on PostgreSQL) and are handed on one at a time: no ORM object
and no whole-result list.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any, Iterable, Iterator, TextIO

from sqlalchemy import Connection, Select, select

from engine.errors import NotFound
from engine.spreadsheet import lf_csv_writer, text_cell
from engine.models import TASK_STATUSES, Customer, Task, User
from engine.tasks.assignees import OPEN_STATUSES
from engine.text import pick_text

LIST_FIELDS = ("id", "customer_code", "workflow", "template", "segment", "previous_segment",
               "title", "kind", "recurring", "assignee", "status", "due_date", "run_id")
BATCH_ROWS = 5_000
TITLE = LIST_FIELDS.index("title")


def task_query(connection: Connection, assignee: str | None = None, status: str | None = None,
               overdue_on: dt.date | None = None) -> Select:
    """The listing's query, by due date then id; every status unless one is given;
    ``overdue_on``: only open or in-progress tasks due before that day. Unknown users and
    statuses are refused here, before any row is read."""
    tasks, customers = Task.__table__.c, Customer.__table__.c
    users = User.__table__.alias("assignee")
    query = (select(tasks.id, customers.code, tasks.workflow_id, tasks.template, tasks.segment,
                    tasks.previous_segment, tasks.title, tasks.kind, tasks.recurring,
                    users.c.username, tasks.status, tasks.due_date, tasks.run_id)
             .join_from(Task.__table__, Customer.__table__, customers.id == tasks.customer_id)
             .outerjoin(users, users.c.id == tasks.assignee_id)
             .order_by(tasks.due_date, tasks.id))
    if assignee is not None:
        query = query.where(tasks.assignee_id == _user_id(connection, assignee))
    if status is not None:
        if status not in TASK_STATUSES:
            raise NotFound("task status", status, list(TASK_STATUSES))
        query = query.where(tasks.status == status)
    if overdue_on is not None:
        query = query.where(tasks.status.in_(OPEN_STATUSES), tasks.due_date < overdue_on)
    return query


def stream_tasks(connection: Connection, query: Select, locale: str | None = None
                 ) -> Iterator[tuple]:
    """The rows of ``query`` as tuples of ``LIST_FIELDS`` (the title in ``locale``), read
    ``BATCH_ROWS`` at a time."""
    result = connection.execution_options(yield_per=BATCH_ROWS).execute(query)
    for row in result:
        row = tuple(row)
        yield row[:TITLE] + (pick_text(row[TITLE], locale),) + row[TITLE + 1:]


def list_tasks(connection: Connection, assignee: str | None = None, status: str | None = None,
               overdue_on: dt.date | None = None, locale: str | None = None
               ) -> list[dict[str, Any]]:
    """Every row of the listing as a dict of ``LIST_FIELDS`` (for small listings)."""
    query = task_query(connection, assignee, status, overdue_on)
    return [dict(zip(LIST_FIELDS, row)) for row in stream_tasks(connection, query, locale)]


def csv_cells(row: tuple) -> tuple:
    """A listing row as CSV cells: text neutralised for spreadsheets (SPEC §7), booleans
    ``true``/``false``; ids and dates as the csv module writes them, null as ''."""
    (task_id, code, workflow, template, segment, previous, title, kind, recurring, assignee,
     status, due_date, run_id) = row
    return (task_id, text_cell(code), text_cell(workflow), text_cell(template),
            text_cell(segment), text_cell(previous), text_cell(title), text_cell(kind),
            "true" if recurring else "false", text_cell(assignee), text_cell(status),
            due_date, run_id)


def write_csv(rows: Iterable[tuple], stream: TextIO) -> int:
    """The header and ``rows`` as CSV (LF line ends) written as they come; the row count."""
    writer = lf_csv_writer(stream)
    writer.writerow(LIST_FIELDS)
    count = 0
    for count, row in enumerate(rows, 1):
        writer.writerow(csv_cells(row))
    return count


def write_json(rows: Iterable[tuple], stream: TextIO) -> int:
    """A JSON array of one object per row (dates as ``YYYY-MM-DD``), the text
    ``json.dumps(records, indent=2)`` gives, written a row at a time; the row count."""
    count = 0
    for count, row in enumerate(rows, 1):
        record = {field: value.isoformat() if isinstance(value, dt.date) else value
                  for field, value in zip(LIST_FIELDS, row)}
        text = json.dumps(record, ensure_ascii=False, indent=2).replace("\n", "\n  ")
        stream.write(("[\n  " if count == 1 else ",\n  ") + text)
    stream.write("\n]\n" if count else "[]\n")
    return count


def _user_id(connection: Connection, username: str) -> int:
    users = User.__table__.c
    found = connection.scalar(select(users.id).where(users.username == username))
    if found is None:
        raise NotFound("user", username,
                       list(connection.scalars(select(users.username))))
    return found
