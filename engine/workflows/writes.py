"""Set-based writes of one batch of moves: a few ``executemany`` statements, one transaction."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, bindparam, insert, update

from engine.models import Notification, Task, WorkflowState

tasks_table = Task.__table__
states_table = WorkflowState.__table__
notifications_table = Notification.__table__


def insert_ignoring_duplicates(connection: Connection, table, key: list[str]):
    """``INSERT … ON CONFLICT (key) DO NOTHING`` for the connection's dialect."""
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    elif connection.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    else:  # pragma: no cover - kamflow supports these two databases (SPEC §7)
        raise NotImplementedError(f"no conflict-free insert for {connection.dialect.name}")
    return dialect_insert(table).on_conflict_do_nothing(index_elements=key)


def cancel_statement():
    """Cancel open tasks by id (one started or finished meanwhile is left as it is)."""
    return (update(tasks_table)
            .where(tasks_table.c.id == bindparam("task_id"), tasks_table.c.status == "open")
            .values(status="cancelled", cancelled_at=bindparam("at"),
                    cancel_reason=bindparam("reason")))


@dataclass
class BatchWrites:
    """Everything a batch of moves changes, written together by ``flush``."""

    cancelled: list[dict[str, Any]] = field(default_factory=list)
    rehomed: list[dict[str, Any]] = field(default_factory=list)
    tasks: list[dict[str, Any]] = field(default_factory=list)
    new_states: list[dict[str, Any]] = field(default_factory=list)
    changed_states: list[dict[str, Any]] = field(default_factory=list)
    notifications: list[dict[str, Any]] = field(default_factory=list)

    def flush(self, connection: Connection) -> None:
        if self.cancelled:
            connection.execute(cancel_statement(), self.cancelled)
        if self.rehomed:
            connection.execute(update(tasks_table)
                               .where(tasks_table.c.id == bindparam("task_id"))
                               .values(segment=bindparam("new_segment")), self.rehomed)
        if self.tasks:
            connection.execute(insert_ignoring_duplicates(connection, tasks_table,
                                                          ["idempotency_key"]), self.tasks)
        if self.new_states:
            connection.execute(insert(states_table), self.new_states)
        if self.changed_states:
            connection.execute(update(states_table)
                               .where(states_table.c.id == bindparam("state_id"))
                               .values(state=bindparam("new_state"), run_id=bindparam("new_run"),
                                       workflow_version_id=bindparam("version"),
                                       entered_at=bindparam("at")), self.changed_states)
        if self.notifications:
            connection.execute(insert(notifications_table), self.notifications)
