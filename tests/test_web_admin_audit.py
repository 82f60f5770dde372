"""``/admin/audit``: entries newest first, filters by who, what and when in the URL, keyset
pages, links to the records, details as text, CSV with formula cells neutralised."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest

from engine import audit
from engine.db import transaction
from web_support import app, make_app, sign_in, text  # noqa: F401  (fixtures)
from web_world import PASSWORD, _world_snapshot, world  # noqa: F401  (fixtures)

HOSTILE = '"><img src=x onerror=alert(1)><script>alert(2)</script>{{7*7}}'


def _client(app, username: str = "admin"):
    client = app.test_client()
    assert sign_in(client, username, PASSWORD).status_code == 302
    return client


def _entry_rows(page: str) -> list[str]:
    body = re.search(r"<tbody>(.*?)</tbody>", page, re.S)
    return re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S) if body else []


def _add(engine, at: dt.datetime, actor: str, action: str, object_type: str, object_id: str,
         details: dict | None = None) -> int:
    with transaction(engine) as session:
        entry = audit.record(session, actor, action, object_type, object_id, details)
        entry.at = at
        session.flush()
        return entry.id


def test_only_admins_read_the_log(app, world):
    assert _client(app).get("/admin/audit").status_code == 200
    for username in ("m1", "r1", "s1"):
        assert _client(app, username).get("/admin/audit").status_code == 403
        assert _client(app, username).get("/admin/audit/export.csv").status_code == 403


def test_filters_by_who_and_what_and_links_the_records(app, world):
    client = _client(app)
    page = text(client.get("/admin/audit?actor=r1&action=override."))
    rows = _entry_rows(page)
    assert len(rows) == 1 and "override.request" in rows[0]
    assert 'href="/customers/C1"' in rows[0]                          # the override's customer
    assert f'href="/admin/users/{world.users["r1"]}">r1</a>' in rows[0]  # the actor
    users = _entry_rows(text(client.get("/admin/audit?action=user.create&object=m")))
    assert len(users) == 3                                            # admin, m1, m2
    assert f'href="/admin/users/{world.users["m1"]}">m1</a>' in "".join(users)
    jobs = _entry_rows(text(client.get("/admin/audit?type=job&actor=r2")))
    assert len(jobs) == 1 and f'href="/jobs/{world.jobs["r2"]}"' in jobs[0]
    assert _entry_rows(text(client.get("/admin/audit?action=%25"))) == []   # % is text


def test_dates_are_days_in_the_configured_time_zone(app, world, engine):
    # 17:30 UTC on 1 March is 01:30 on 2 March in Asia/Shanghai.
    _add(engine, dt.datetime(2026, 3, 1, 17, 30, tzinfo=dt.UTC), "admin", "probe.night",
         "probe", "p1")
    client = _client(app)
    on_second = _entry_rows(text(client.get("/admin/audit?action=probe&from=2026-03-02"
                                            "&to=2026-03-02")))
    assert len(on_second) == 1 and "2026-03-02 01:30" in on_second[0]
    assert _entry_rows(text(client.get("/admin/audit?action=probe&to=2026-03-01"))) == []
    bad = client.get("/admin/audit?from=2026-13-01&to=x")
    assert bad.status_code == 400
    assert 'id="f-from-errors"' in text(bad) and 'id="f-to-errors"' in text(bad)
    backwards = client.get("/admin/audit?from=2026-03-02&to=2026-03-01")
    assert backwards.status_code == 400 and 'id="f-to-errors"' in text(backwards)


def test_older_pages_follow_without_gaps_or_repeats(app, world, engine):
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    ids = [_add(engine, start + dt.timedelta(minutes=n // 2), "admin", "probe.page", "probe",
                f"p{n}") for n in range(61)]                 # pairs share a timestamp
    client = _client(app)
    seen, url = [], "/admin/audit?action=probe.page"
    while url:
        page = text(client.get(url))
        seen += [int(i) for i in re.findall(r'data-entry="(\d+)"', page)]
        more = re.search(r'<a href="([^"]+)" rel="next">', page)
        url = more.group(1).replace("&amp;", "&") if more else None
    assert seen == sorted(ids, reverse=True)
    assert len(seen) == 61


def test_details_are_text_never_markup(app, world, engine):
    _add(engine, dt.datetime.now(dt.UTC), "admin", "definition.publish", "ruleset",
         HOSTILE, {"note": HOSTILE, "version": 3})
    page = text(_client(app).get("/admin/audit?type=ruleset"))
    assert "<script>alert(2)" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(2)&lt;/script&gt;{{7*7}}" in page
    assert "&#34;version&#34;: 3" in page or '"version": 3' in page


def test_the_export_is_csv_with_formulas_neutralised(app, world, engine):
    _add(engine, dt.datetime.now(dt.UTC), "admin", "probe.csv", "probe", "=HYPERLINK(1)",
         {"n": 1})
    response = _client(app).get("/admin/audit/export.csv?action=probe.")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0][:4] == ["id", "at", "actor", "action"] and len(rows) == 2
    assert rows[1][5] == "'=HYPERLINK(1)" and rows[1][6] == '{"n": 1}'


def test_definition_changes_link_to_their_history_in_the_studio(app, world):
    page = text(_client(app).get("/admin/audit?action=definition."))
    assert 'href="/studio/ruleset/value_potential"' in page
    assert 'href="/studio/workflow/quadrant_followup"' in page
