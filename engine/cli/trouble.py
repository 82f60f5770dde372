"""What to tell a user when the database, not their input, stopped a command.

Each case is one line that says what happened and what to do. The transaction that met it has
rolled back, so the command changed nothing.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError

from engine.config import load_settings
from engine.errors import Conflict

# PostgreSQL error codes (SQLSTATE): deadlock, lock or statement timeout, serialization.
CONTENTION_CODES = {"40P01": "a deadlock with another kamflow command",
                    "55P03": "a lock that another kamflow command held too long",
                    "57014": "a statement that waited too long for another kamflow command",
                    "40001": "a concurrent change by another kamflow command"}
CONNECTION_CODES = ("08001", "08006", "08004", "28000", "28P01", "3D000")
NOTHING_CHANGED = "nothing was changed"


def database_trouble(error: OperationalError) -> str | None:
    """The one-line message for ``error``, or None when it is not contention or a
    connection failure (a bug, to be raised as it is)."""
    original = error.orig
    code = getattr(original, "sqlstate", None)
    sqlite_error = getattr(original, "sqlite_errorname", None)
    text = str(original)
    if sqlite_error in ("SQLITE_BUSY", "SQLITE_LOCKED"):
        waited = load_settings().busy_timeout
        return (f"the database is busy: another kamflow command (an import, an evaluation) "
                f"held its write lock for more than {waited:g} s; {NOTHING_CHANGED}. Run the "
                "command again when it has finished (KAMFLOW_BUSY_TIMEOUT_SECONDS waits longer)")
    if code in CONTENTION_CODES:
        return (f"the command ran into {CONTENTION_CODES[code]}; {NOTHING_CHANGED}. "
                "Run it again")
    if code in CONNECTION_CODES or _cannot_connect(original, sqlite_error):
        first_line = text.strip().splitlines()[0] if text.strip() else type(original).__name__
        return (f"cannot reach the database ({first_line}); {NOTHING_CHANGED}. Check "
                "KAMFLOW_DATABASE_URL and that the server is running")
    return None


def _cannot_connect(original: Exception, sqlite_error: str | None) -> bool:
    """SQLite could not open its file; or the PostgreSQL driver failed before the server
    answered (every error the server sends carries a SQLSTATE, the driver's own have none)."""
    if sqlite_error is not None:
        return sqlite_error.startswith("SQLITE_CANTOPEN")
    return (type(original).__module__.startswith("psycopg")
            and getattr(original, "sqlstate", None) is None)


class NotInitialized(Conflict):
    """The database that the settings name has not been set up by ``kamflow init``."""

    def __init__(self, where: str):
        super().__init__(f"no kamflow database at {where}: run `kamflow init` first (or point "
                         "KAMFLOW_DATABASE_URL at the right database)")


def refuse_bare_sqlite(url: str) -> None:
    """A SQLite file that does not exist, or holds no kamflow schema, is refused before the
    engine opens it (opening switches the file to WAL, which would write to it)."""
    parsed = make_url(url)
    path = parsed.database
    if parsed.get_backend_name() != "sqlite" or path in (None, "", ":memory:"):
        return
    if not Path(path).is_file():
        raise NotInitialized(path)
    probe = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
    try:
        found = probe.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                              "name = 'alembic_version'").fetchone()
    except sqlite3.DatabaseError:           # not a SQLite file at all
        found = None
    finally:
        probe.close()
    if found is None:
        raise NotInitialized(url)


def refuse_uninitialized(engine: Engine) -> None:
    """A database without kamflow's schema (no migration recorded) is refused."""
    try:
        with engine.connect() as connection:
            version = connection.execute(text("SELECT version_num FROM alembic_version")).first()
    except (OperationalError, ProgrammingError) as exc:
        if database_trouble(exc) is not None:
            raise
        version = None
    if version is None:
        raise NotInitialized(engine.url.render_as_string(hide_password=True))
