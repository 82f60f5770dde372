"""``WriteBehind``: on PostgreSQL a batch is written on a helper thread while the caller goes on;
every later use of the connection waits for it (engine.workflows.write_behind)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from engine.models import Task
from engine.workflows.write_behind import WriteBehind
from engine.workflows.writes import BatchWrites, RunKeys
from tests.test_workflow_bulk_writes import _task
from tests.workflow_support import add_customer


def _batch(customer_id: int, keys: tuple[str, ...], behind: WriteBehind) -> BatchWrites:
    return BatchWrites(tasks=[_task(customer_id, k, None) for k in keys],
                       keys=RunKeys(None, "care"), behind=behind)


def _stored(session) -> list[str]:
    return session.scalars(select(Task.idempotency_key).order_by(Task.id)).all()


def test_a_batch_is_written_behind_and_the_next_statement_sees_it(engine, session):
    customer = add_customer(session, "H1")
    session.commit()
    behind = WriteBehind()
    with engine.begin() as connection:
        _batch(customer.id, ("a", "b"), behind).flush(connection)
        assert (behind.thread is not None) == (engine.dialect.name == "postgresql")
        _batch(customer.id, ("c",), behind).flush(connection)
        assert connection.scalar(select(func.count()).select_from(Task)) == 3
        assert behind.thread is None
    assert _stored(session) == ["a", "b", "c"]


def test_the_commit_waits_for_the_batch_under_way(engine, session):
    customer = add_customer(session, "H1")
    session.commit()
    behind = WriteBehind()
    with engine.begin() as connection:
        _batch(customer.id, ("a", "b"), behind).flush(connection)
    assert behind.thread is None and _stored(session) == ["a", "b"]


def test_a_failed_batch_fails_the_next_statement_and_nothing_is_stored(engine, session):
    customer = add_customer(session, "H1")
    session.commit()
    behind = WriteBehind()
    refused = (IntegrityError, engine.dialect.dbapi.IntegrityError)
    with pytest.raises(refused), engine.begin() as connection:
        _batch(customer.id, ("a", "a"), behind).flush(connection)
        connection.scalar(select(func.count()).select_from(Task))
    assert behind.thread is None and behind.error is None and _stored(session) == []


def test_a_failed_last_batch_fails_the_commit(engine, session):
    customer = add_customer(session, "H1")
    session.commit()
    refused = (IntegrityError, engine.dialect.dbapi.IntegrityError)
    with pytest.raises(refused), engine.begin() as connection:
        _batch(customer.id, ("a", "b", "a"), WriteBehind()).flush(connection)
    assert _stored(session) == []


def test_a_rollback_waits_for_the_batch_and_keeps_nothing(engine, session):
    customer = add_customer(session, "H1")
    session.commit()
    behind = WriteBehind()
    connection = engine.connect()
    try:
        connection.begin()
        _batch(customer.id, ("a", "b"), behind).flush(connection)
        connection.rollback()
        assert behind.thread is None
    finally:
        connection.close()
    assert _stored(session) == []
