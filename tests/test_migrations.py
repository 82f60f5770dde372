"""The Alembic migrations build exactly the schema the models describe, on either backend."""
from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import inspect, select, text

from engine.db import make_engine
from engine.migrate import alembic_config, current_revision, head_revision, schema_diffs, upgrade
from engine.models import Base, Product


def test_upgrade_on_an_empty_database_creates_every_table(empty_database_url):
    engine = make_engine(empty_database_url)
    try:
        assert current_revision(engine) is None
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        tables = set(inspect(engine).get_table_names())
        assert tables == set(Base.metadata.tables) | {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrading_twice_is_harmless_and_keeps_data(engine, session):
    session.add(Product(code="P1", name="Aspirin", product_line="cardio", is_new=False))
    session.commit()

    upgrade(engine)
    upgrade(engine)

    assert current_revision(engine) == head_revision()
    assert session.scalars(select(Product.code)).all() == ["P1"]


def test_migrated_schema_matches_the_models(engine):
    assert schema_diffs(engine) == []


def test_downgrade_to_base_and_back(empty_database_url):
    engine = make_engine(empty_database_url)
    try:
        upgrade(engine)
        command.downgrade(alembic_config(empty_database_url), "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade(engine)
        assert schema_diffs(engine) == []
    finally:
        engine.dispose()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(engine, backend):
    if backend != "sqlite":
        pytest.skip("SQLite pragmas")
    upgrade(engine)  # migrating switches foreign keys off for a while; they must come back on
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


@pytest.mark.parametrize("attempt", [1, 2, 3])
def test_each_test_starts_with_empty_tables_and_fresh_ids(session, attempt):
    for table in Base.metadata.sorted_tables:
        count = session.execute(text(f"SELECT count(*) FROM {table.name}")).scalar()
        assert count == 0, table.name
    product = Product(code=f"P{attempt}", name="Aspirin")
    session.add(product)
    session.commit()
    assert product.id == 1
    if attempt == 2:
        # Leave the table empty but its id sequence moved on: the next test must still get 1.
        session.delete(product)
        session.commit()
