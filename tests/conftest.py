"""Database fixtures: every test gets a migrated, empty database of the backend under test.

The suite runs on SQLite unless ``KAMFLOW_TEST_DATABASE_URL`` names a PostgreSQL server
(``postgresql+psycopg://postgres@127.0.0.1:5432/test``); a fresh database is then created on
that server for the session, migrated once, emptied before each test and dropped at the end.
SQLite tests copy a database file migrated once per session, which is much faster than
migrating each time.

Fixtures:
- ``backend``: ``'sqlite'`` or ``'postgresql'``.
- ``database_url`` (session): the session's migrated database (on SQLite, the template file
  that each test copies: never write to it).
- ``engine``: an engine on a migrated, empty database for this test; ``KAMFLOW_DATABASE_URL``
  points at it and ``KAMFLOW_INSTANCE_PATH`` at a temporary folder, so settings, the CLI and the
  web app built inside the test use it.
- ``session``: a Session on ``engine``, closed after the test. On SQLite a transaction reads
  one snapshot: ``commit()`` or ``rollback()`` it before reading what other code has written.
- ``empty_database_url``: a database that was never migrated (for ``init``/migration tests),
  with the same environment variables pointing at it.
- ``run``: ``run(*args, env=None)`` invokes ``kamflow ARGS`` in-process on the test's database
  and returns click's Result (arguments are turned into text; exceptions are not caught).
"""
from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from engine.db import make_engine, session_factory
from engine.migrate import upgrade
from engine.models import Base

TEST_DATABASE_ENV = "KAMFLOW_TEST_DATABASE_URL"
BACKENDS = ("sqlite", "postgresql")


def _server_url() -> str | None:
    return os.environ.get(TEST_DATABASE_ENV) or None


def _backend_of(url: str | None) -> str:
    if url is None:
        return "sqlite"
    name = make_url(url).get_backend_name()
    if name not in BACKENDS:
        raise pytest.UsageError(f"{TEST_DATABASE_ENV}: backend {name!r} is not one of {BACKENDS}")
    return name


def _sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def _create_pg_database(server_url: str, prefix: str) -> str:
    """Create a uniquely named database on the server of ``server_url``; return its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    _pg_admin(server_url, f'CREATE DATABASE "{name}"')
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def _drop_pg_database(server_url: str, database_url: str) -> None:
    name = make_url(database_url).database
    _pg_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _pg_admin(server_url: str, statement: str) -> None:
    """Run a statement that PostgreSQL refuses inside a transaction (CREATE/DROP DATABASE)."""
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(statement))
    finally:
        admin.dispose()


def _migrate(url: str) -> None:
    engine = make_engine(url)
    try:
        upgrade(engine)
        if engine.dialect.name == "sqlite":
            # Move everything from the WAL into the main file, which is all that gets copied.
            with engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()


def _id_column(table) -> str:
    return table.primary_key.columns.values()[0].name


def _used_tables(connection) -> list[str]:
    """Model tables holding rows or whose id sequence has moved: only these need emptying.

    The probe is one round trip of a few milliseconds, so a test pays only for the tables it
    filled.
    """
    probes = []
    for table in Base.metadata.sorted_tables:
        pk = _id_column(table)
        probes.append(
            f"SELECT '{table.name}' WHERE EXISTS (SELECT 1 FROM {table.name}) OR "
            f"pg_sequence_last_value(pg_get_serial_sequence('{table.name}', '{pk}')::regclass)"
            " IS NOT NULL"
        )
    return list(connection.execute(text(" UNION ALL ".join(probes))).scalars())


def _empty_tables(engine: Engine) -> None:
    """Delete every row of the model tables and restart their ids (``alembic_version`` stays).

    DELETE and setval take well under a millisecond on the few small tables a test fills,
    where TRUNCATE costs about 100 ms a statement.
    """
    with engine.begin() as connection:
        # A connection leaked by an earlier test would block the deletes forever; fail instead.
        connection.execute(text("SET LOCAL lock_timeout = '10s'"))
        used = set(_used_tables(connection))
        tables = [t for t in reversed(Base.metadata.sorted_tables) if t.name in used]
        for table in tables:
            # References that close a cycle (use_alter) would block deleting the other side.
            for fk in table.foreign_key_constraints:
                if fk.use_alter:
                    connection.execute(table.update().values({c.name: None for c in fk.columns}))
        restart = text("SELECT setval(pg_get_serial_sequence(:table, :column), 1, false)")
        for table in tables:
            connection.execute(table.delete())
            # Null for a table without a serial id (packs): setval then does nothing.
            connection.execute(restart, {"table": table.name, "column": _id_column(table)})


def _point_settings_at(monkeypatch: pytest.MonkeyPatch, url: str, tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    instance.mkdir(exist_ok=True)
    monkeypatch.setenv("KAMFLOW_DATABASE_URL", url)
    monkeypatch.setenv("KAMFLOW_INSTANCE_PATH", str(instance))


@pytest.fixture(scope="session")
def backend() -> str:
    """The database backend under test: ``'sqlite'`` or ``'postgresql'``."""
    return _backend_of(_server_url())


@pytest.fixture(scope="session")
def database_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The session's migrated database (SQLite: the template the ``engine`` fixture copies)."""
    if backend == "sqlite":
        url = _sqlite_url(tmp_path_factory.mktemp("template") / "kamflow.db")
        _migrate(url)
        yield url
        return
    server = _server_url()
    url = _create_pg_database(server, "kamflow_test")
    try:
        _migrate(url)
        yield url
    finally:
        _drop_pg_database(server, url)


@pytest.fixture
def engine(
    backend: str, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Engine]:
    """An engine on a migrated database with no rows, private to this test."""
    if backend == "sqlite":
        path = tmp_path / "kamflow.db"
        shutil.copyfile(make_url(database_url).database, path)
        url = _sqlite_url(path)
        test_engine = make_engine(url)
    else:
        url = database_url
        test_engine = make_engine(url)
        _empty_tables(test_engine)
    _point_settings_at(monkeypatch, url, tmp_path)
    try:
        yield test_engine
    finally:
        test_engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A Session on the test's database (``expire_on_commit=False``), closed afterwards."""
    with session_factory(engine)() as test_session:
        yield test_session


@pytest.fixture
def empty_database_url(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """The URL of a database with no tables at all, which settings now point at."""
    if backend == "sqlite":
        url = _sqlite_url(tmp_path / "empty.db")
        _point_settings_at(monkeypatch, url, tmp_path)
        yield url
        return
    server = _server_url()
    url = _create_pg_database(server, "kamflow_empty")
    _point_settings_at(monkeypatch, url, tmp_path)
    try:
        yield url
    finally:
        _drop_pg_database(server, url)


@pytest.fixture
def run(engine):
    """``kamflow ARGS`` in-process on the test's database; the click Result."""
    from click.testing import CliRunner

    from web.cli import cli

    runner = CliRunner()

    def invoke(*args, env=None):
        return runner.invoke(cli, [str(a) for a in args], env=env, catch_exceptions=False)

    return invoke
