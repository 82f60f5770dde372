"""Write a batch of moves while the next one is prepared: PostgreSQL's work beside Python's.

On PostgreSQL most of a batch's write is the server's (index entries, foreign-key checks), during
which the Python process only waits. ``WriteBehind.flush`` hands the batch to a helper thread
and returns; the caller prepares the next batch meanwhile. The connection is used by one thread
at a time all the same: the next flush, any statement the connection runs (through SQLAlchemy:
a query, the ORM's flush), and its commit wait for the batch under way first, and the commit
or statement then fails with the batch's error if it had one. A rollback waits for it too and
leaves its error aside (the transaction is abandoned anyway). Everything stays in the caller's
transaction. SQLite (one in-process writer) writes each batch as it comes.
"""
from __future__ import annotations

import threading
from typing import Protocol

from sqlalchemy import Connection, event


class Writes(Protocol):
    def write(self, connection: Connection) -> None: ...


class WriteBehind:
    """At most one batch written behind the caller's back, on one connection."""

    def __init__(self) -> None:
        self.thread: threading.Thread | None = None
        self.error: BaseException | None = None
        self.watched: Connection | None = None

    def flush(self, writes: Writes, connection: Connection) -> None:
        """Write ``writes`` on ``connection``: at once on SQLite, behind on PostgreSQL."""
        self.wait()
        if connection.dialect.name != "postgresql":
            writes.write(connection)
            return
        self._watch(connection)
        self.thread = threading.Thread(target=self._write, args=(writes, connection),
                                       name="kamflow-write-behind", daemon=True)
        self.thread.start()

    def wait(self, *_event_args) -> None:
        """Until the batch under way is written; raises its error, if any."""
        if self._finish():
            error, self.error = self.error, None
            raise error

    def _finish(self) -> bool:
        """Join the helper (never from itself); whether its batch failed."""
        thread = self.thread
        if thread is None or thread is threading.current_thread():
            return False
        thread.join()
        self.thread = None
        return self.error is not None

    def _forget(self, *_event_args) -> None:
        self._finish()
        self.error = None

    def _write(self, writes: Writes, connection: Connection) -> None:
        try:
            writes.write(connection)
        except BaseException as exc:   # noqa: BLE001 - handed to the caller's thread
            self.error = exc

    def _watch(self, connection: Connection) -> None:
        if self.watched is connection:
            return
        event.listen(connection, "before_cursor_execute", self.wait)
        event.listen(connection, "commit", self.wait)
        event.listen(connection, "rollback", self._forget)
        self.watched = connection
