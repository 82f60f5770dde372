"""Alembic environment for kamflow: models' metadata, SQLite batch mode, a shared connection.

``engine.migrate`` passes an open connection in ``config.attributes['connection']`` (its
transaction then holds the whole upgrade); otherwise the URL comes from ``sqlalchemy.url``.
"""
from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, DefaultClause, false, pool, true
from sqlalchemy.sql import functions

from engine.db import make_engine
from engine.models import Base, UTCDateTime

config = context.config
target_metadata = Base.metadata


def render_item(type_: str, obj, autogen_context) -> str | bool:
    """Render what autogenerate would write for SQLite only in a form both backends accept.

    Our UTC timestamp type becomes the plain type it stores (scripts need no imports of ours),
    and ``true()``/``false()``/``now()`` server defaults stay expressions instead of SQLite's
    ``'1'``/``'0'``/``CURRENT_TIMESTAMP`` text, which PostgreSQL would refuse or read otherwise.
    """
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "server_default" and isinstance(obj, DefaultClause):
        if isinstance(obj.arg, type(true())):
            return "sa.true()"
        if isinstance(obj.arg, type(false())):
            return "sa.false()"
        if isinstance(obj.arg, functions.now):
            return "sa.func.now()"
    return False


def _options() -> dict:
    return dict(
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode copies the table instead.
        render_as_batch=True,
        render_item=render_item,
        compare_type=True,
    )


def run_migrations_offline() -> None:
    """Write the migrations' SQL to stdout instead of running it (``--sql``)."""
    url = config.get_main_option("sqlalchemy.url")
    context.configure(url=url, literal_binds=True, **_options())
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: Connection) -> None:
    context.configure(connection=connection, **_options())
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
