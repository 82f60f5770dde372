"""Set-based writes of one batch of moves: a few bulk statements, one transaction.

New rows (tasks, states, notifications) skip SQLAlchemy's per-row parameter handling: each
column's bind processor (time zones, JSON) is applied to the values, then the rows go in with
``COPY`` on PostgreSQL (tasks through a temporary table and one ``INSERT … SELECT … ON CONFLICT
DO NOTHING``, in list order) and with one DBAPI ``executemany`` on SQLite. What is stored is
exactly what ``connection.execute(insert(table), rows)`` stores.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, Callable, Sequence

from sqlalchemy import Connection, Table, bindparam, select, update

from engine.models import Notification, Task, WorkflowState
from engine.workflows.write_behind import WriteBehind

tasks_table = Task.__table__
states_table = WorkflowState.__table__
notifications_table = Notification.__table__


STAGED = "kamflow_staged"     # prefix of the temporary tables rows with a key are copied into


def _processed(connection: Connection, table: Table, columns: Sequence[str],
               rows: list[dict[str, Any]]) -> list[tuple]:
    """Each row as a tuple of ``columns`` with the columns' bind processors applied.

    A value object met again in a column (the run's timestamp on every row, a due date
    shared by a template's tasks) is processed once: the processors are pure functions.
    """
    dialect = connection.dialect
    processors: list[Callable | None] = [
        table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns]
    steps = [(index, _once_per_object(process))
             for index, process in enumerate(processors) if process]
    pick = itemgetter(*columns) if len(columns) > 1 else (lambda row: (row[columns[0]],))
    out = []
    for row in rows:
        values = list(pick(row))
        for index, process in steps:
            values[index] = process(values[index])
        out.append(tuple(values))
    return out


def _once_per_object(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``process`` remembering its result for the last few objects it was given (by
    identity: an equal but distinct object, a naive and an aware time say, is processed)."""
    seen: dict[int, tuple[Any, Any]] = {}

    def processed(value: Any) -> Any:
        known = seen.get(id(value))
        if known is not None and known[0] is value:
            return known[1]
        result = process(value)
        if len(seen) >= 64:
            seen.clear()
        seen[id(value)] = (value, result)   # the value is kept, so its id is not reused
        return result

    return processed


def _columns(table: Table, rows: list[dict[str, Any]]) -> list[str]:
    """The table's columns that the rows give, in table order (every row has the same keys:
    one without a key the first row has is refused, naming the key)."""
    keys = set(rows[0])
    unknown = keys - set(table.c.keys())
    if unknown:
        raise KeyError(f"{table.name} has no column {', '.join(sorted(unknown))}")
    return [name for name in table.c.keys() if name in keys]


def insert_rows(connection: Connection, table: Table, rows: list[dict[str, Any]],
                conflict_key: str | None = None) -> None:
    """Insert ``rows`` (dicts with the same keys) in list order; with ``conflict_key`` (a
    unique column) a row whose key is stored already, or came earlier, is skipped."""
    if not rows:
        return
    columns = _columns(table, rows)
    values = _processed(connection, table, columns, rows)
    names = ", ".join(columns)
    if connection.dialect.name != "postgresql":
        marks = ", ".join("?" for _ in columns)
        # Not INSERT OR IGNORE: that would also skip rows failing NOT NULL or CHECK.
        tail = f" ON CONFLICT ({conflict_key}) DO NOTHING" if conflict_key else ""
        connection.connection.driver_connection.cursor().executemany(
            f"INSERT INTO {table.name} ({names}) VALUES ({marks}){tail}", values)
        return
    cursor = connection.connection.driver_connection.cursor()
    if conflict_key is None:
        with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
            for row in values:
                copy.write_row(row)
        return
    cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {STAGED}_{table.name} "
                   f"ON COMMIT DROP AS SELECT {names}, 0::bigint AS row_number "
                   f"FROM {table.name} WITH NO DATA")
    cursor.execute(f"TRUNCATE {STAGED}_{table.name}")
    with cursor.copy(f"COPY {STAGED}_{table.name} ({names}, row_number) FROM STDIN") as copy:
        for number, row in enumerate(values):
            copy.write_row((*row, number))
    cursor.execute(f"INSERT INTO {table.name} ({names}) SELECT {names} "
                   f"FROM {STAGED}_{table.name} ORDER BY row_number "
                   f"ON CONFLICT ({conflict_key}) DO NOTHING")


def cancel_statement():
    """Cancel open tasks by id (one started or finished meanwhile is left as it is)."""
    return (update(tasks_table)
            .where(tasks_table.c.id == bindparam("task_id"), tasks_table.c.status == "open")
            .values(status="cancelled", cancelled_at=bindparam("at"),
                    cancel_reason=bindparam("reason")))


class RunKeys:
    """Whether the tasks of a (run, workflow) can be inserted without looking for their keys.

    A task's key names its run, workflow, customer and template, and an application creates
    each (customer, template) once per run. So when the (run, workflow) has no task yet as
    the application starts writing (asked once, under the ruleset's lock that every writer of
    the run holds), none of its keys can be taken and its tasks go straight into the table; a
    key taken after all would fail the insert, never be skipped silently.
    """

    def __init__(self, run_id: int, workflow_id: str):
        self.run_id, self.workflow_id = run_id, workflow_id
        self.fresh: bool | None = None

    def all_fresh(self, connection: Connection) -> bool:
        if self.fresh is None:
            taken = connection.scalar(select(tasks_table.c.id).where(
                tasks_table.c.run_id == self.run_id,
                tasks_table.c.workflow_id == self.workflow_id).limit(1))
            self.fresh = taken is None
        return self.fresh


@dataclass
class BatchWrites:
    """Everything a batch of moves changes, written together by ``flush``; with ``keys``, its
    tasks skip the key check while their (run, workflow) had no task when writing began; with
    ``behind``, the batch is written on PostgreSQL while the caller goes on."""

    cancelled: list[dict[str, Any]] = field(default_factory=list)
    rehomed: list[dict[str, Any]] = field(default_factory=list)
    tasks: list[dict[str, Any]] = field(default_factory=list)
    new_states: list[dict[str, Any]] = field(default_factory=list)
    changed_states: list[dict[str, Any]] = field(default_factory=list)
    notifications: list[dict[str, Any]] = field(default_factory=list)
    keys: RunKeys | None = None
    behind: WriteBehind | None = None

    def flush(self, connection: Connection) -> None:
        """Write the batch: now, or behind the caller with ``behind`` (see write_behind)."""
        if self.behind is None:
            self.write(connection)
        else:
            self.behind.flush(self, connection)

    def write(self, connection: Connection) -> None:
        if self.cancelled:
            connection.execute(cancel_statement(), self.cancelled)
        if self.rehomed:
            connection.execute(update(tasks_table)
                               .where(tasks_table.c.id == bindparam("task_id"))
                               .values(segment=bindparam("new_segment")), self.rehomed)
        fresh = bool(self.tasks) and self.keys is not None and self.keys.all_fresh(connection)
        insert_rows(connection, tasks_table, self.tasks,
                    conflict_key=None if fresh else "idempotency_key")
        insert_rows(connection, states_table, self.new_states)
        if self.changed_states:
            connection.execute(update(states_table)
                               .where(states_table.c.id == bindparam("state_id"))
                               .values(state=bindparam("new_state"), run_id=bindparam("new_run"),
                                       workflow_version_id=bindparam("version"),
                                       entered_at=bindparam("at")), self.changed_states)
        insert_rows(connection, notifications_table, self.notifications)
