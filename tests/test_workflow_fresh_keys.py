"""``BatchWrites`` with ``RunKeys``: the tasks of a (run, workflow) that had none go straight in;
once it has some, a taken key is skipped as before (engine.workflows.writes)."""
from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from engine.models import Task
from engine.workflows.writes import BatchWrites, RunKeys
from tests.test_workflow_bulk_writes import _task
from tests.workflow_support import add_customer


def _keys(session) -> list[str]:
    return session.scalars(select(Task.idempotency_key).order_by(Task.id)).all()


def test_a_fresh_run_writes_its_tasks_in_order_and_asks_once(engine, session):
    customer = add_customer(session, "H1")
    session.commit()
    keys = RunKeys(None, "care")
    with engine.begin() as connection:
        BatchWrites(tasks=[_task(customer.id, k, None) for k in ("b", "a")],
                    keys=keys).flush(connection)
        assert keys.fresh is True
        BatchWrites(tasks=[_task(customer.id, "c", None)], keys=keys).flush(connection)
    assert keys.fresh is True and _keys(session) == ["b", "a", "c"]


def test_a_key_taken_in_a_fresh_run_fails_the_batch_rather_than_vanish(engine, session):
    customer = add_customer(session, "H1")
    session.commit()
    refused = (IntegrityError, engine.dialect.dbapi.IntegrityError)   # DBAPI: written raw
    with pytest.raises(refused), engine.begin() as connection:
        BatchWrites(tasks=[_task(customer.id, k, None) for k in ("a", "a")],
                    keys=RunKeys(None, "care")).flush(connection)
    assert _keys(session) == []


def test_a_run_with_tasks_of_the_workflow_skips_taken_keys(engine, session):
    customer = add_customer(session, "H1")
    session.commit()
    with engine.begin() as connection:
        BatchWrites(tasks=[_task(customer.id, "a", None)]).flush(connection)
    keys = RunKeys(None, "care")
    with engine.begin() as connection:
        BatchWrites(tasks=[_task(customer.id, k, None) for k in ("b", "a", "c")],
                    keys=keys).flush(connection)
    assert keys.fresh is False and _keys(session) == ["a", "b", "c"]
    assert RunKeys(None, "other").all_fresh(session.connection()) is True


def test_a_row_without_a_key_of_the_first_row_is_refused(engine, session):
    from engine.workflows.writes import insert_rows, notifications_table

    first = {"user_id": None, "kind": "k", "subject": "s", "body": "", "payload": {}}
    with pytest.raises(KeyError, match="body"), engine.begin() as connection:
        insert_rows(connection, notifications_table,
                    [first, {k: v for k, v in first.items() if k != "body"}])
