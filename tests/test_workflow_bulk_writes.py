"""``engine.workflows.writes.insert_rows``: the bulk path (COPY on PostgreSQL, one DBAPI
executemany on SQLite) stores exactly what SQLAlchemy's ``insert`` stores, in list order,
skipping rows whose unique key is taken."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select

from engine.models import Notification, Task
from engine.workflows.writes import insert_rows, notifications_table, tasks_table
from tests.workflow_support import add_customer, add_user

SHANGHAI = ZoneInfo("Asia/Shanghai")
AT = dt.datetime(2026, 3, 31, 9, 30, 15, 123456, tzinfo=SHANGHAI)


def _notices(user_id: int | None, marker: str) -> list[dict]:
    return [{"user_id": user_id, "kind": "segment_changed", "subject": f"客户 {marker} 变为明星",
             "body": "", "payload": {"from": "dog", "to": "star", "n": 1.5, "tags": ["a", "é"]},
             "created_at": AT},
            {"user_id": None, "kind": "digest", "subject": f"tab\there {marker}", "body": "",
             "payload": {"quote": "\"\\'", "none": None}, "created_at": AT}]


def _stored(session, model, marker_column, marker):
    rows = session.scalars(select(model).order_by(model.id)).all()
    return [{c: getattr(r, c) for c in model.__table__.c.keys() if c != "id"}
            for r in rows if marker in getattr(r, marker_column)]


def test_bulk_notifications_equal_sqlalchemy_inserts(engine, session):
    user = add_user(session, "li", "rep")
    session.commit()
    with engine.begin() as connection:
        connection.execute(insert(notifications_table), _notices(user.id, "orm"))
        insert_rows(connection, notifications_table, _notices(user.id, "bulk"))
    orm = _stored(session, Notification, "subject", "orm")
    bulk = _stored(session, Notification, "subject", "bulk")
    for row in orm + bulk:
        row["subject"] = row["subject"].replace("orm", "X").replace("bulk", "X")
    assert len(bulk) == 2 and bulk == orm
    assert bulk[0]["created_at"] == AT and bulk[0]["payload"]["tags"] == ["a", "é"]


def _task(customer_id: int, key: str, assignee_id: int | None) -> dict:
    return {"workflow_id": "care", "workflow_version_id": None, "customer_id": customer_id,
            "run_id": None, "template": "visit", "segment": "star", "previous_segment": None,
            "title": {"zh": f"拜访 {key}", "en": f"Visit {key}"}, "kind": "visit",
            "channel": None, "priority": "high", "recurring": True, "every_days": 7,
            "assignee_id": assignee_id, "status": "open", "due_date": dt.date(2026, 4, 7),
            "created_at": AT, "idempotency_key": key}


def test_bulk_tasks_keep_list_order_and_skip_taken_keys(engine, session):
    user = add_user(session, "li", "rep")
    customer = add_customer(session, "H1")
    session.commit()
    with engine.begin() as connection:
        insert_rows(connection, tasks_table, [_task(customer.id, "k2", None)],
                    conflict_key="idempotency_key")
    rows = [_task(customer.id, key, user.id) for key in ("k5", "k2", "k1", "k5", "k3")]
    with engine.begin() as connection:
        insert_rows(connection, tasks_table, rows, conflict_key="idempotency_key")
    tasks = session.scalars(select(Task).order_by(Task.id)).all()
    assert [(t.idempotency_key, t.assignee_id) for t in tasks] == [
        ("k2", None), ("k5", user.id), ("k1", user.id), ("k3", user.id)]
    assert tasks[1].title == {"zh": "拜访 k5", "en": "Visit k5"}
    assert tasks[1].created_at == AT and tasks[1].recurring is True


def test_bulk_insert_refuses_a_column_the_table_lacks(engine):
    with engine.begin() as connection, pytest.raises(KeyError) as caught:
        insert_rows(connection, notifications_table, [{"subject": "x", "colour": "red"}])
    assert caught.value.args[0] == "notifications has no column colour"


def test_bulk_insert_of_a_second_batch_in_one_transaction(engine, session):
    customer = add_customer(session, "H1")
    session.commit()
    with engine.begin() as connection:
        insert_rows(connection, tasks_table, [_task(customer.id, "a", None)],
                    conflict_key="idempotency_key")
        insert_rows(connection, tasks_table, [_task(customer.id, "b", None),
                                              _task(customer.id, "a", None)],
                    conflict_key="idempotency_key")
    keys = session.scalars(select(Task.idempotency_key).order_by(Task.id)).all()
    assert keys == ["a", "b"]
