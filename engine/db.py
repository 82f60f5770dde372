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


def _tune_sqlite(dbapi_connection, _record) -> None:
    """WAL for readers beside a writer, a busy timeout instead of 'database is locked', FKs on."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _begin(conn) -> None:
    """Writers take SQLite's write lock at BEGIN, so two writers queue instead of failing.

    A deferred transaction that reads and then writes after another writer committed gets
    SQLITE_BUSY at once (no busy wait), so writing transactions say so up front.
    """
    immediate = conn.get_execution_options().get(WRITE_OPTION)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(url: str, **kwargs) -> Engine:
    """An engine for ``url``; SQLite files get WAL, busy timeout and foreign keys."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _tune_sqlite)
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
