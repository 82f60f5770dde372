"""Models store what the engine relies on exactly: money, uniqueness, references, instants."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, StatementError

from engine.models import (
    AuditEntry,
    Customer,
    Definition,
    DefinitionVersion,
    DefinitionVersionImmutable,
    Order,
    Pack,
    Product,
    SchedulerTick,
    User,
)

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def cents(yuan: str) -> int:
    return int(Decimal(yuan) * 100)


@pytest.fixture
def customer_and_product(session):
    customer = Customer(code="H001", name="北京协和医院", normalized_name="北京协和医院", type="hospital")
    product = Product(code="P1", name="Aspirin", product_line="cardio")
    session.add_all([customer, product])
    session.commit()
    return customer, product


def order(customer, product, order_id: str, amount: str, **extra) -> Order:
    return Order(
        order_id=order_id,
        customer_id=customer.id,
        product_id=product.id,
        date=dt.date(2026, 3, 31),
        amount_cents=cents(amount),
        **extra,
    )


def test_money_sums_exactly(session, customer_and_product):
    customer, product = customer_and_product
    session.add_all(
        [order(customer, product, "O1", "0.10"), order(customer, product, "O2", "0.20")]
    )
    session.commit()

    total = session.scalar(select(func.sum(Order.amount_cents)))

    # As doubles, 0.10 + 0.20 is 0.30000000000000004; in cents it is exactly 30.
    assert total == 30
    assert Decimal(total) / 100 == Decimal("0.30")


def test_large_amounts_and_quantities_round_trip_exactly(session, customer_and_product):
    customer, product = customer_and_product
    beyond_double = 2**53 + 1  # the first integer a double cannot hold
    session.add(
        Order(
            order_id="O1",
            customer_id=customer.id,
            product_id=product.id,
            date=dt.date(2026, 1, 5),
            amount_cents=beyond_double,
            cost_cents=-beyond_double,
            quantity_milli=1_234_567,
        )
    )
    session.commit()
    session.expire_all()

    stored = session.scalars(select(Order)).one()
    assert (stored.amount_cents, stored.cost_cents) == (beyond_double, -beyond_double)
    assert stored.quantity_milli == 1_234_567


def test_duplicate_order_id_is_rejected(session, customer_and_product):
    customer, product = customer_and_product
    session.add(order(customer, product, "O1", "5.00"))
    session.commit()

    session.add(order(customer, product, "O1", "7.00"))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Order)) == 1


def test_order_for_unknown_customer_is_rejected(session, customer_and_product):
    _, product = customer_and_product
    session.add(
        Order(
            order_id="O1",
            customer_id=999,
            product_id=product.id,
            date=dt.date(2026, 1, 1),
            amount_cents=1,
        )
    )
    with pytest.raises(IntegrityError):
        session.commit()


def test_unknown_role_is_rejected(session):
    session.add(User(username="x", name="X", role="superuser"))
    with pytest.raises(IntegrityError):
        session.commit()


def test_user_defaults(session):
    user = User(username="rep1", name="张三", role="rep")
    session.add(user)
    session.commit()
    session.expire_all()

    assert (user.locale, user.active, user.seniority) == ("zh", True, None)
    assert user.created_at.tzinfo is dt.UTC


def test_timestamps_come_back_as_the_same_instant_in_utc(session):
    local = dt.datetime(2026, 4, 1, 10, 0, 0, 123456, tzinfo=SHANGHAI)
    session.add(AuditEntry(at=local, actor="admin", action="test", object_type="x", object_id="1"))
    session.commit()
    session.expire_all()

    stored = session.scalars(select(AuditEntry)).one()
    assert stored.at == local
    assert stored.at.tzinfo is dt.UTC
    assert stored.at.hour == 2


def test_naive_timestamps_are_refused(session):
    naive = dt.datetime(2026, 4, 1)
    session.add(AuditEntry(at=naive, action="test", object_type="x", object_id="1"))
    with pytest.raises(StatementError, match="no time zone"):
        session.commit()


def test_one_tick_per_instant_whatever_its_time_zone(session):
    utc = dt.datetime(2026, 4, 1, 2, 0, tzinfo=dt.UTC)
    job = "evaluate:value_potential"
    session.add(SchedulerTick(job_key=job, tick_at=utc, claimed_by="a"))
    session.commit()

    session.add(SchedulerTick(job_key=job, tick_at=utc.astimezone(SHANGHAI), claimed_by="b"))
    with pytest.raises(IntegrityError):
        session.commit()


def publish_first_version(session) -> Definition:
    pack = Pack(
        id="demo",
        version="1.0.0",
        title={"zh": "演示", "en": "Demo"},
        source="id: demo\n",
        content_hash="0" * 64,
    )
    definition = Definition(kind="ruleset", def_id="value_potential", pack=pack)
    version = DefinitionVersion(
        definition=definition,
        number=1,
        content={"kind": "ruleset", "id": "value_potential", "title": "价值"},
        content_hash="1" * 64,
        source="kind: ruleset\n",
        source_format="yaml",
    )
    definition.published_version = version
    session.add(pack)
    session.commit()
    return definition


def test_definition_and_its_published_version_reference_each_other(session):
    definition = publish_first_version(session)
    session.expire_all()

    stored = session.scalars(select(Definition)).one()
    assert stored.published_version_id == definition.versions[0].id
    assert stored.published_version.content["title"] == "价值"
    assert stored.pack.description is None


def test_definition_versions_are_immutable(session):
    definition = publish_first_version(session)
    version = definition.versions[0]

    version.content = {"kind": "ruleset", "id": "value_potential", "title": "changed"}
    with pytest.raises(DefinitionVersionImmutable, match="immutable"):
        session.commit()
