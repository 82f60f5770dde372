"""The customer list queries (engine.customers.listing): filters, keyset pagination with ties,
cursors, the capped count, visibility per role, merged customers never listed."""
from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from sqlalchemy import select

from engine.access import Viewer
from engine.customers.listing import (
    CustomerFilter,
    customer_count,
    customer_page,
    decode_cursor,
    encode_cursor,
    stream_customers,
)
from engine.db import transaction
from engine.errors import InvalidInput
from engine.models import Customer, CustomerScore, User
from web_world import RULESET, build_world

EXTRA = 23          # r1's extra customers, with repeated names and cities (ties)


@pytest.fixture
def world(engine):
    built = build_world(engine)
    with transaction(engine) as session:
        r1 = session.scalar(select(User.id).where(User.username == "r1"))
        c1 = session.scalar(select(Customer.id).where(Customer.code == "C1"))
        for i in range(EXTRA):
            session.add(Customer(
                code=f"X{i:03d}", name="同名医院" if i % 3 else f"Alpha Clinic {i}",
                normalized_name="同名医院" if i % 3 else f"alphaclinic{i}",
                type="pharmacy" if i % 2 else "hospital", region="江苏省" if i % 4 else None,
                city=("南京市", "苏州市", None)[i % 3], owner_id=r1, status="active"))
        session.add(Customer(code="M1", name="已合并医院", normalized_name="已合并医院",
                             type="hospital", region="浙江省", city="杭州市", owner_id=r1,
                             status="merged", merged_into_id=c1,
                             merged_at=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)))
    return built


def viewer(engine, username: str) -> Viewer:
    with engine.connect() as connection:
        row = connection.execute(select(User.id, User.username, User.role, User.team)
                                 .where(User.username == username)).one()
    return Viewer(*row)


def codes(engine, username="admin", filters=CustomerFilter(), sort="code", limit=500):
    with engine.connect() as connection:
        page = customer_page(connection, viewer(engine, username), filters, sort, None, limit)
    return [item["code"] for item in page.items]


def all_pages(engine, username, filters, sort, limit):
    seen, after, pages = [], None, 0
    with engine.connect() as connection:
        who = viewer(engine, username)
        while True:
            page = customer_page(connection, who, filters, sort, after, limit)
            seen.extend(item["code"] for item in page.items)
            pages += 1
            assert pages < 100
            if page.next is None:
                return seen
            after = page.next


def test_default_lists_active_and_inactive_never_merged(engine, world):
    listed = codes(engine)
    assert {"C1", "C2", "C3"} <= set(listed)
    assert "M1" not in listed
    assert len(listed) == 3 + EXTRA
    assert codes(engine, filters=CustomerFilter(status="inactive")) == ["C3"]
    assert "C3" not in codes(engine, filters=CustomerFilter(status="active"))
    with pytest.raises(InvalidInput, match="status"):
        codes(engine, filters=CustomerFilter(status="merged"))
    assert codes(engine, filters=CustomerFilter(q="已合并")) == []


def test_filters(engine, world):
    assert codes(engine, filters=CustomerFilter(q="c2 人")) == ["C2"]
    assert "C2" in codes(engine, filters=CustomerFilter(q="c2"))
    # case-insensitive over the name
    alpha = codes(engine, filters=CustomerFilter(q="ALPHA clinic"))
    assert alpha and all(code.startswith("X") for code in alpha)
    assert len(alpha) == len([i for i in range(EXTRA) if i % 3 == 0])
    # the normalized name: 省/市 prefixes and spaces do not matter
    assert codes(engine, filters=CustomerFilter(q="C1 人民医院")) == ["C1"]
    assert set(codes(engine, filters=CustomerFilter(q="c1人民医院"))) == {"C1"}
    # LIKE wildcards are literal text
    assert codes(engine, filters=CustomerFilter(q="%")) == []
    assert codes(engine, filters=CustomerFilter(q="_")) == []
    assert codes(engine, filters=CustomerFilter(region="浙江省")) == ["C1", "C2", "C3"]
    assert len(codes(engine, filters=CustomerFilter(city="南京市"))) == len(range(0, EXTRA, 3))
    assert codes(engine, filters=CustomerFilter(owner="r2")) == ["C2"]
    assert codes(engine, filters=CustomerFilter(owner="nobody")) == []
    pharmacies = codes(engine, filters=CustomerFilter(type="pharmacy"))
    assert len(pharmacies) == EXTRA // 2
    combined = codes(engine, filters=CustomerFilter(type="hospital", city="苏州市", q="同名"))
    assert combined == [f"X{i:03d}" for i in range(EXTRA) if i % 2 == 0 and i % 3 == 1]


def test_segment_filter_and_items(engine, world):
    with engine.connect() as connection:
        c1_segment = connection.scalar(
            select(CustomerScore.effective_segment).join(Customer)
            .where(Customer.code == "C1", CustomerScore.run_id == world.run_id))
        page = customer_page(connection, viewer(engine, "admin"),
                             CustomerFilter(ruleset=RULESET, q="C1"))
    assert c1_segment
    item = page.items[0]
    assert item["code"] == "C1" and item["owner"] == {"username": "r1", "name": "R1"}
    assert item["effective_segment"]["id"] == c1_segment
    assert set(item["effective_segment"]["label"]) == {"zh", "en"}
    assert item["effective_segment"]["color"].startswith("#")
    json.dumps(page.as_dict())     # JSON-serializable
    listed = codes(engine, filters=CustomerFilter(ruleset=RULESET, segment=c1_segment))
    assert "C1" in listed and not any(code.startswith("X") for code in listed)
    with pytest.raises(InvalidInput, match="segment"):
        codes(engine, filters=CustomerFilter(segment=c1_segment))
    with pytest.raises(InvalidInput, match="unknown segment"):
        codes(engine, filters=CustomerFilter(ruleset=RULESET, segment="nope"))
    with pytest.raises(InvalidInput, match="unknown ruleset"):
        codes(engine, filters=CustomerFilter(ruleset="nope"))
    # without a ruleset, no segment
    with engine.connect() as connection:
        plain = customer_page(connection, viewer(engine, "admin"), CustomerFilter(q="C1"))
    assert plain.items[0]["segment"] is None


@pytest.mark.parametrize("sort", ["code", "-code", "name", "-name", "city", "-city", "region",
                                  "-region", "segment", "-segment", "name:desc"])
def test_keyset_pages_cover_everything_once_in_order(engine, world, sort):
    filters = CustomerFilter(ruleset=RULESET)
    whole = codes(engine, filters=filters, sort=sort)
    paged = all_pages(engine, "admin", filters, sort, 4)
    assert paged == whole
    assert len(set(paged)) == len(paged) == 3 + EXTRA


def test_sort_orders(engine, world):
    with engine.connect() as connection:
        items = customer_page(connection, viewer(engine, "admin"), CustomerFilter(), "-name",
                              None, 500).items
        by_city = customer_page(connection, viewer(engine, "admin"), CustomerFilter(), "city",
                                None, 500).items
    names = [item["name"] for item in items]
    assert names == sorted(names, reverse=True)
    cities = [item["city"] or "" for item in by_city]
    assert cities == sorted(cities)


def test_last_page_has_no_next(engine, world):
    with engine.connect() as connection:
        page = customer_page(connection, viewer(engine, "admin"), CustomerFilter(), "code",
                             None, 3 + EXTRA)
    assert page.next is None and len(page.items) == 3 + EXTRA


@pytest.mark.parametrize("cursor", [
    "garbage!!", "", "e30", base64.urlsafe_b64encode(b"not json").decode(),
    encode_cursor("code", "asc", 5, 1),               # key of the wrong type
    encode_cursor("code", "asc", "C1", "1"),          # id of the wrong type
    base64.urlsafe_b64encode(b'{"s":"code","d":"asc","k":"C1"}').decode(),
    base64.urlsafe_b64encode(b'[1,2]').decode(),
    "x" * 5000,
])
def test_tampered_cursor_is_invalid_input(engine, world, cursor):
    with engine.connect() as connection, pytest.raises(InvalidInput, match="after"):
        customer_page(connection, viewer(engine, "admin"), CustomerFilter(), "code",
                      cursor or "=", 5)


def test_cursor_of_another_sort_is_refused(engine, world):
    with engine.connect() as connection:
        page = customer_page(connection, viewer(engine, "admin"), CustomerFilter(), "name",
                             None, 2)
        with pytest.raises(InvalidInput, match="another sort"):
            customer_page(connection, viewer(engine, "admin"), CustomerFilter(), "code",
                          page.next, 2)
    assert decode_cursor(page.next, "name", "asc")[1] > 0


def test_bad_sort_and_limit(engine, world):
    with engine.connect() as connection:
        for sort, limit in (("owner", 5), ("code:up", 5), ("code", 0), ("code", 501)):
            with pytest.raises(InvalidInput):
                customer_page(connection, viewer(engine, "admin"), CustomerFilter(), sort,
                              None, limit)


def test_count_is_capped(engine, world):
    with engine.connect() as connection:
        admin = viewer(engine, "admin")
        assert customer_count(connection, admin, CustomerFilter()) == (3 + EXTRA, False)
        assert customer_count(connection, admin, CustomerFilter(), cap=5) == (5, True)
        assert customer_count(connection, admin, CustomerFilter(), cap=3 + EXTRA) == \
            (3 + EXTRA, False)
        assert customer_count(connection, admin, CustomerFilter(owner="r2")) == (1, False)
        assert customer_count(connection, viewer(engine, "r2"), CustomerFilter()) == (1, False)


def test_visibility_per_role(engine, world):
    extras = {f"X{i:03d}" for i in range(EXTRA)}
    assert set(codes(engine, "admin")) == {"C1", "C2", "C3"} | extras
    assert set(codes(engine, "m1")) == {"C1", "C3"} | extras
    assert set(codes(engine, "m2")) == {"C2"}
    assert set(codes(engine, "r1")) == {"C1", "C3"} | extras
    assert set(codes(engine, "r2")) == {"C2"}
    assert set(codes(engine, "s1")) == {"C1"}
    # a filter on somebody else's customers finds nothing, not their records
    assert codes(engine, "r1", CustomerFilter(owner="r2")) == []
    assert codes(engine, "r2", CustomerFilter(q="C1")) == []
    with engine.connect() as connection:
        assert customer_count(connection, viewer(engine, "s1"), CustomerFilter()) == (1, False)
        streamed = [item["code"] for item in
                    stream_customers(connection, viewer(engine, "m2"), CustomerFilter())]
    assert streamed == ["C2"]


def test_stream_batches_cover_everything(engine, world):
    with engine.connect() as connection:
        streamed = [item["code"] for item in stream_customers(
            connection, viewer(engine, "admin"), CustomerFilter(), "name", batch=5)]
    assert streamed == codes(engine, sort="name")
