"""Database connections: one SQLAlchemy engine per URL, SQLite tuned for concurrent use."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 30_000
WRITE_OPTION = "kamflow_write"


def _tuner(busy_timeout_ms: int):
    def tune_sqlite(dbapi_connection, _record) -> None:
        """WAL for readers beside a writer, a busy timeout before 'database is locked', FKs."""
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
    return tune_sqlite


def _begin(conn) -> None:
    """Writers take SQLite's write lock at BEGIN, so two writers queue instead of failing.

    A deferred transaction that reads and then writes after another writer committed gets
    SQLITE_BUSY at once (no busy wait), so writing transactions say so up front.
    """
    immediate = conn.get_execution_options().get(WRITE_OPTION)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(url: str, busy_timeout: float | None = None, **kwargs) -> Engine:
    """An engine for ``url``; SQLite files get WAL, foreign keys and a busy timeout: how long
    a writer waits for another's write lock (``busy_timeout`` seconds, default 30)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        busy_ms = SQLITE_BUSY_TIMEOUT_MS if busy_timeout is None else int(busy_timeout * 1000)
        kwargs.setdefault("connect_args", {"timeout": busy_ms / 1000})
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _tuner(busy_ms))
        # pysqlite's own transaction handling is switched off so BEGIN is ours to issue.
        event.listen(engine, "connect", lambda c, r: setattr(c, "isolation_level", None))
        event.listen(engine, "begin", _begin)
        return engine
    return create_engine(url, **kwargs)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """A session whose work commits together on success and rolls back on any error."""
    writer = engine.execution_options(**{WRITE_OPTION: True})
    with Session(writer, expire_on_commit=False) as session, session.begin():
        yield session
