"""Reading tasks back: the rows of ``kamflow tasks list`` (SPEC §5), streamed from the database.

A listing can hold hundreds of thousands of tasks, so rows come from a Core ``select`` read in
batches (a server-side cursor on PostgreSQL) and are handed on one at a time: no ORM object
and no whole-result list.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, TextIO

from sqlalchemy import (Connection, Select, String, case, cast, func, literal, select,
                        true, type_coerce)

from engine.errors import NotFound
from engine.spreadsheet import lf_csv_writer, sql_text_cell
from engine.models import TASK_STATUSES, Customer, Task, User
from engine.tasks.assignees import OPEN_STATUSES
from engine.text import DEFAULT_LOCALE, DEFAULT_LOCALES, pick_text

LIST_FIELDS = ("id", "customer_code", "workflow", "template", "segment", "previous_segment",
               "title", "kind", "recurring", "assignee", "status", "due_date", "run_id")
BATCH_ROWS = 5_000
TITLE = LIST_FIELDS.index("title")
TASKS, CUSTOMERS = Task.__table__, Customer.__table__
ASSIGNEES = User.__table__.alias("assignee")


@dataclass(frozen=True)
class TaskListing:
    """Which tasks a listing holds: its SQL conditions, already checked."""

    conditions: tuple = ()


def select_tasks(connection: Connection, assignee: str | None = None,
                 status: str | None = None, overdue_on: dt.date | None = None) -> TaskListing:
    """Every status unless one is given; ``overdue_on``: only open or in-progress tasks due
    before that day. Unknown users and statuses are refused here, before any row is read."""
    tasks = TASKS.c
    conditions = []
    if assignee is not None:
        conditions.append(tasks.assignee_id == _user_id(connection, assignee))
    if status is not None:
        if status not in TASK_STATUSES:
            raise NotFound("task status", status, list(TASK_STATUSES))
        conditions.append(tasks.status == status)
    if overdue_on is not None:
        conditions += [tasks.status.in_(OPEN_STATUSES), tasks.due_date < overdue_on]
    return TaskListing(tuple(conditions))


def _query(listing: TaskListing, columns: list) -> Select:
    """``columns`` of the listing's tasks, by due date then id."""
    tasks = TASKS.c
    return (select(*columns)
            .join_from(TASKS, CUSTOMERS, CUSTOMERS.c.id == tasks.customer_id)
            .outerjoin(ASSIGNEES, ASSIGNEES.c.id == tasks.assignee_id)
            .where(*listing.conditions)
            .order_by(tasks.due_date, tasks.id))


def _stream(connection: Connection, query: Select):
    return connection.execution_options(yield_per=BATCH_ROWS).execute(query)


def stream_tasks(connection: Connection, listing: TaskListing, locale: str | None = None,
                 default_locale: str = DEFAULT_LOCALE) -> Iterator[tuple]:
    """The listing's rows as tuples of ``LIST_FIELDS``, read ``BATCH_ROWS`` at a time. Titles
    are in ``locale`` when one is asked for, else in the assignee's locale, else in
    ``default_locale`` (the configured one)."""
    tasks = TASKS.c
    query = _query(listing, [tasks.id, CUSTOMERS.c.code, tasks.workflow_id, tasks.template,
                             tasks.segment, tasks.previous_segment, tasks.title, tasks.kind,
                             tasks.recurring, ASSIGNEES.c.username, tasks.status,
                             tasks.due_date, tasks.run_id, ASSIGNEES.c.locale])
    for row in _stream(connection, query):
        *row, reader = tuple(row)
        title = _pick_title(row[TITLE], locale, reader, default_locale)
        yield tuple(row[:TITLE]) + (title,) + tuple(row[TITLE + 1:])


def _pick_title(title, locale: str | None, reader: str | None, default_locale: str) -> str:
    if locale is not None:
        return pick_text(title, locale)
    if isinstance(title, dict) and reader in title:
        return title[reader]
    return pick_text(title, default_locale)


def list_tasks(connection: Connection, assignee: str | None = None, status: str | None = None,
               overdue_on: dt.date | None = None, locale: str | None = None,
               default_locale: str = DEFAULT_LOCALE) -> list[dict[str, Any]]:
    """Every row of the listing as a dict of ``LIST_FIELDS`` (for small listings)."""
    listing = select_tasks(connection, assignee, status, overdue_on)
    return [dict(zip(LIST_FIELDS, row))
            for row in stream_tasks(connection, listing, locale, default_locale)]


def write_csv(connection: Connection, listing: TaskListing, stream: TextIO,
              locale: str | None = None, default_locale: str = DEFAULT_LOCALE) -> int:
    """The header and the listing's rows as CSV (LF line ends), each batch written as it is
    read; the row count. The database makes every cell as text (SPEC §7 text cells,
    ``true``/``false``, ``YYYY-MM-DD``, '' for null), and no SQLAlchemy row is made: on
    PostgreSQL the server writes the CSV (``COPY ... TO STDOUT``), on SQLite the rows come
    straight from the driver's cursor."""
    writer = lf_csv_writer(stream)
    writer.writerow(LIST_FIELDS)
    query = _csv_query(connection, listing, locale, default_locale)
    sql = str(query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    driver = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        return _copy_csv(driver, sql, stream)
    cursor, count = driver.execute(sql), 0
    try:
        while batch := cursor.fetchmany(BATCH_ROWS):
            text = "\n".join(map(",".join, batch)) + "\n"
            if (text.count(",") == SEPARATORS * len(batch) and text.count("\n") == len(batch)
                    and '"' not in text and "\r" not in text):
                stream.write(text)           # what the csv writer writes when nothing is quoted
            else:
                writer.writerows(batch)
            count += len(batch)
    finally:
        cursor.close()
    return count


SEPARATORS = len(LIST_FIELDS) - 1


def _copy_csv(driver, sql: str, stream: TextIO) -> int:
    """PostgreSQL's own CSV of ``sql`` (it quotes as the csv module does; an empty cell is
    NULL, which it writes unquoted), written ``BATCH_ROWS`` lines at a time."""
    count, lines = 0, []
    with driver.cursor() as cursor:
        with cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)") as copy:
            for line in copy:            # one row per block
                lines.append(line)
                if len(lines) == BATCH_ROWS:
                    stream.write(b"".join(lines).decode())
                    count, lines = count + len(lines), []
    stream.write(b"".join(lines).decode())
    return count + len(lines)


def _csv_query(connection: Connection, listing: TaskListing, locale: str | None,
               default_locale: str) -> Select:
    """The listing's rows as text cells. On PostgreSQL an empty cell is NULL (see
    :func:`_copy_csv`), and the title is picked once per task in a lateral subquery (its
    cell names it three times, and each use would parse the JSON again)."""
    tasks = TASKS.c
    dialect = connection.dialect.name
    title = title_sql(dialect, locale, default_locale)
    if dialect == "postgresql":
        picked = (select(title.label("title")).correlate(TASKS, ASSIGNEES).offset(0)
                  .lateral("task_title"))
        title = picked.c.title
    texts = [CUSTOMERS.c.code, tasks.workflow_id, tasks.template, tasks.segment,
             tasks.previous_segment, title, tasks.kind]
    cells = [cast(tasks.id, String), *map(sql_text_cell, texts),
             case((tasks.recurring, "true"), else_="false"),
             sql_text_cell(ASSIGNEES.c.username), sql_text_cell(tasks.status),
             iso_date_sql(dialect, tasks.due_date),
             func.coalesce(cast(tasks.run_id, String), "")]
    if dialect != "postgresql":
        return _query(listing, cells)
    return _query(listing, [func.nullif(cell, "") for cell in cells]).join(picked, true())


def title_sql(dialect: str, locale: str | None, default_locale: str = DEFAULT_LOCALE):
    """SQL for the title as :func:`_pick_title` picks it: ``locale`` if given, else the
    assignee's locale, else ``default_locale``; then English, Chinese, the first it has."""
    tasks = TASKS.c
    reader = [] if locale is not None else [_title_in(dialect, ASSIGNEES.c.locale)]
    preferred = locale if locale is not None else default_locale
    picks = reader + [tasks.title[candidate].as_string()
                      for candidate in dict.fromkeys([preferred, *DEFAULT_LOCALES]) if candidate]
    each = "json_each_text" if dialect == "postgresql" else "json_each"
    locales = getattr(func, each)(tasks.title).table_valued("value")
    first = select(locales.c.value).limit(1).scalar_subquery()
    return func.coalesce(*picks, type_coerce(first, String))


def _title_in(dialect: str, locale_column):
    """The title's text in the locale a column names (null when it has none)."""
    title = TASKS.c.title
    if dialect == "postgresql":
        return title.op("->>")(locale_column)
    return func.json_extract(title, literal("$.") + func.json_quote(locale_column))


def iso_date_sql(dialect: str, column):
    """A date column as ``YYYY-MM-DD`` text (SQLite stores it so)."""
    if dialect == "postgresql":
        return func.to_char(column, "YYYY-MM-DD")
    return type_coerce(column, String)


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
