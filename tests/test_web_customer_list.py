"""The customer list page and its CSV export: filters in the URL, pages, per-role visibility,
hostile names shown as text, formula cells neutralised, bad input answered at the field."""
from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import select

from engine.db import transaction
from engine.models import Customer, User
from web_support import app, client, make_app, sign_in, text  # noqa: F401  (fixtures)
from web_world import PASSWORD, build_world

HOSTILE = ('<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "{{7*7}}",
           "=HYPERLINK(\"http://x\")", "+1+2", "-3", "@SUM(A1)")
NEXT = re.compile(r'href="(/customers\?[^"]*after=[^"]+)"[^>]*rel="next"')


@pytest.fixture
def world(engine):
    built = build_world(engine)
    with transaction(engine) as session:
        r1 = session.scalar(select(User.id).where(User.username == "r1"))
        for i, name in enumerate(HOSTILE):
            session.add(Customer(code=f"H{i}", name=name, normalized_name=name.lower(),
                                 type="hospital", region="<b>省</b>", city="=cmd|' /C calc'!A0",
                                 owner_id=r1, status="active"))
        for i in range(60):
            session.add(Customer(code=f"P{i:03d}", name=f"药房 {i:03d}",
                                 normalized_name=f"药房{i:03d}", type="pharmacy",
                                 region="江苏省", city="南京市", owner_id=r1, status="active"))
    return built


def signed_in(app, username):
    client = app.test_client()
    assert sign_in(client, username, PASSWORD).status_code == 302
    return client


def rows(html: str) -> list[str]:
    """The codes in the table, in order."""
    return re.findall(r'<td class="code">([^<]*)</td>', html)


def test_list_shows_visible_customers_with_labels_and_links(app, world):
    client = signed_in(app, "r1")
    response = client.get("/customers")
    html = text(response)
    assert response.status_code == 200
    listed = rows(html)
    assert "C1" in listed and "C3" in listed and "C2" not in listed
    assert len(listed) == 50
    # labelled controls
    for name in ("q", "segment", "region", "city", "owner", "type", "status"):
        assert f'for="filter-{name}"' in html and f'id="filter-{name}"' in html
    assert 'href="/customers/C1"' in html
    assert "customers.css" in html
    # the count: 3 of the world + hostile + pharmacies
    assert f"{2 + len(HOSTILE) + 60} 个客户" in html or f"{2 + len(HOSTILE) + 60} customers" in html


def test_rep_and_manager_visibility(app, world):
    assert "C1" not in rows(text(signed_in(app, "r2").get("/customers")))
    assert rows(text(signed_in(app, "r2").get("/customers"))) == ["C2"]
    assert rows(text(signed_in(app, "m2").get("/customers"))) == ["C2"]
    m1 = rows(text(signed_in(app, "m1").get("/customers?q=C")))
    assert "C1" in m1 and "C2" not in m1
    assert rows(text(signed_in(app, "s1").get("/customers"))) == ["C1"]
    admin = rows(text(signed_in(app, "admin").get("/customers?q=C")))
    assert {"C1", "C2", "C3"} <= set(admin)
    # filtering on somebody else's customers shows nothing of theirs
    assert rows(text(signed_in(app, "r2").get("/customers?owner=r1"))) == []


def test_filters_sort_and_next_page(app, world):
    client = signed_in(app, "admin")
    html = text(client.get("/customers?type=pharmacy&sort=-code"))
    first = rows(html)
    assert first == [f"P{i:03d}" for i in range(59, 9, -1)]
    match = NEXT.search(html)
    assert match, "no next-page link"
    second = rows(text(client.get(match.group(1).replace("&amp;", "&"))))
    assert second == [f"P{i:03d}" for i in range(9, -1, -1)]
    assert "60" in html
    # the sort links keep the filters and toggle the direction
    assert 'aria-sort="descending"' in html
    assert "type=pharmacy" in re.search(r'<th scope="col" aria-sort="descending">\s*<a href="([^"]+)"',
                                        html).group(1)
    assert rows(text(client.get("/customers?q=%E8%8D%AF%E6%88%BF%20007"))) == ["P007"]
    assert rows(text(client.get("/customers?status=inactive"))) == ["C3"]
    assert rows(text(client.get("/customers?owner=r2"))) == ["C2"]


def test_segment_filter_and_badge(app, world):
    client = signed_in(app, "admin")
    html = text(client.get("/customers?q=C1"))
    assert 'class="segment-dot"' in html and 'fill="#' in html
    segment = re.search(r'<option value="(\w+)"[^>]*>明星客户|<option value="(\w+)"', html)
    assert segment
    for value in ("star", "cash_cow", "question", "dog"):
        page = text(client.get(f"/customers?ruleset=value_potential&segment={value}"))
        assert "P001" not in rows(page)      # unscored customers have no segment


def test_count_capped_shows_plus(app, world, monkeypatch):
    from engine.customers import listing

    monkeypatch.setattr(listing, "COUNT_CAP", 10)
    original = listing.customer_count
    monkeypatch.setattr(listing, "customer_count",
                        lambda c, v, f, cap=10: original(c, v, f, cap=10))
    html = text(signed_in(app, "admin").get("/customers"))
    assert "10+" in html


@pytest.mark.parametrize("query, field", [
    ("after=bogus", "after"), ("sort=owner", "sort"), ("status=merged", "status"),
    ("ruleset=nope", "ruleset"), ("ruleset=value_potential&segment=nope", "segment"),
])
def test_bad_input_is_a_message_not_a_traceback(app, world, query, field):
    response = signed_in(app, "admin").get(f"/customers?{query}")
    html = text(response)
    assert response.status_code == 400
    assert "field-errors" in html or "form-errors" in html
    assert "Traceback" not in html
    export = signed_in(app, "admin").get(f"/customers/export.csv?{query}")
    assert export.status_code == (200 if field == "after" else 400)     # exports are whole


def test_hostile_names_are_text(app, world):
    html = text(signed_in(app, "r1").get("/customers?q=" + "%3C"))
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert '<img src=x' not in html
    assert "&lt;b&gt;省&lt;/b&gt;" in html
    html = text(signed_in(app, "r1").get("/customers?q=7"))
    assert "{{7*7}}" in html and ">49<" not in html


def test_export_csv(app, world):
    response = signed_in(app, "r1").get("/customers/export.csv?sort=code")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    header, data = table[0], table[1:]
    assert header[:3] == ["code", "name", "type"]
    codes = [row[0] for row in data]
    assert "C2" not in codes and "C1" in codes
    assert len(codes) == 2 + len(HOSTILE) + 60        # r1: C1, C3, hostile, pharmacies
    names = {row[0]: row[1] for row in data}
    assert names["H3"] == "'=HYPERLINK(\"http://x\")"
    assert names["H4"] == "'+1+2" and names["H5"] == "'-3" and names["H6"] == "'@SUM(A1)"
    assert names["H0"] == "<script>alert(1)</script>"
    city = {row[0]: row[4] for row in data}
    assert city["H0"].startswith("'=")
    c1 = next(row for row in data if row[0] == "C1")
    assert c1[8] and c1[9]              # segment id and its label
    assert "人民医院" in c1[1]


def test_export_follows_filters_and_visibility(app, world):
    body = signed_in(app, "m2").get("/customers/export.csv").get_data().decode("utf-8-sig")
    codes = [row[0] for row in csv.reader(io.StringIO(body))][1:]
    assert codes == ["C2"]
    body = signed_in(app, "admin").get("/customers/export.csv?type=pharmacy&q=00") \
        .get_data().decode("utf-8-sig")
    codes = [row[0] for row in csv.reader(io.StringIO(body))][1:]
    assert codes == [f"P{i:03d}" for i in range(10)]


def test_htmx_partial(app, world):
    client = signed_in(app, "admin")
    partial = text(client.get("/customers?type=pharmacy",
                              headers={"HX-Request": "true", "HX-Target": "customer-list"}))
    assert partial.lstrip().startswith('<div id="customer-list">')
    assert "<html" not in partial
    full = text(client.get("/customers?type=pharmacy"))
    assert "<html" in full


def test_english(app, world):
    client = signed_in(app, "admin")
    client.post("/language", data={"locale": "en", "next": "/customers",
                                   "csrf_token": re.search(r'name="csrf-token" content="([^"]+)"',
                                                           text(client.get("/"))).group(1)})
    html = text(client.get("/customers"))
    assert "Customers" in html and "Next page" in html


@pytest.mark.parametrize("seconds, shown_at_once", [(60, False), (0, True)])
def test_filter_choices_are_kept_for_a_while(make_app, world, engine, seconds, shown_at_once):
    """A new city reaches the city choices when the worker's cached choices expire (at once
    with the cache off); the list itself is never cached."""
    app = make_app(FILTER_CHOICES_SECONDS=seconds)
    client = signed_in(app, "admin")
    assert "新城区" not in text(client.get("/customers"))
    with transaction(engine) as session:
        r1 = session.scalar(select(User.id).where(User.username == "r1"))
        session.add(Customer(code="NEW1", name="新医院", normalized_name="新医院", type="hospital",
                             region="江苏省", city="新城区", owner_id=r1, status="active"))
    page = text(client.get("/customers?q=NEW1"))
    assert "NEW1" in rows(page)
    assert ('<option value="新城区"' in page) is shown_at_once
