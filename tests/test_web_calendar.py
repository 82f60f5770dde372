"""The calendar feed: a user's open tasks as RFC 5545 text behind a revocable token."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select, update

from engine.db import transaction
from engine.models import AccessToken, Task, User
from engine.tokens import CALENDAR, create_token, replace_calendar_token
from web.calendar import escape_text, fold
from web_support import csrf_token, make_app, sign_in, text  # noqa: F401  (fixtures)
from web_world import PASSWORD, _world_snapshot, world  # noqa: F401  (fixtures)


@pytest.fixture
def web(make_app, world):
    return make_app(RATELIMIT_ENABLED=False)


def calendar_token(engine, username: str) -> str:
    with transaction(engine) as session:
        return replace_calendar_token(session, username, actor="test").secret


def unfold(body: str) -> str:
    return body.replace("\r\n ", "")


def test_feed_lists_the_users_open_tasks(engine, world, web):
    secret = calendar_token(engine, "r1")
    response = web.test_client().get(f"/calendar/{secret}.ics")
    assert response.status_code == 200
    assert response.content_type == "text/calendar; charset=utf-8"
    body = response.get_data(as_text=True)
    assert body.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    assert body.endswith("END:VCALENDAR\r\n")
    assert "\n" not in body.replace("\r\n", "")           # CRLF only
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    with transaction(engine) as session:
        own = session.execute(select(Task.id, Task.due_date).where(
            Task.assignee_id == world.users["r1"], Task.status.in_(("open", "in_progress")))).all()
    flat = unfold(body)
    assert flat.count("BEGIN:VEVENT") == len(own) > 0
    for task_id, due in own:
        assert f"\r\nUID:task-{task_id}@kamflow\r\n" in flat
        assert f"DTSTART;VALUE=DATE:{due.strftime('%Y%m%d')}" in flat
    assert f"UID:task-{world.tasks['r2']}@" not in flat and f"UID:task-{world.tasks['s1']}@" not in flat
    assert "C1 人民医院" in flat and "DTSTAMP:" in flat


def test_done_tasks_leave_the_feed_and_uids_are_stable(engine, world, web):
    secret = calendar_token(engine, "r1")
    client = web.test_client()
    first = unfold(client.get(f"/calendar/{secret}.ics").get_data(as_text=True))
    assert f"UID:task-{world.tasks['r1']}@" in first
    with transaction(engine) as session:
        session.execute(update(Task).where(Task.id == world.tasks["r1"]).values(status="done"))
    second = unfold(client.get(f"/calendar/{secret}.ics").get_data(as_text=True))
    assert f"UID:task-{world.tasks['r1']}@" not in second
    uids = lambda body: {line for line in body.split("\r\n") if line.startswith("UID:")}
    assert uids(second) < uids(first)


def test_unknown_revoked_and_api_tokens_answer_404(engine, world, web):
    client = web.test_client()
    old = calendar_token(engine, "r1")
    new = calendar_token(engine, "r1")              # replacing revokes the old link
    assert client.get(f"/calendar/{old}.ics").status_code == 404
    assert client.get(f"/calendar/{new}.ics").status_code == 200
    assert client.get("/calendar/kfc_nothing.ics").status_code == 404
    with transaction(engine) as session:
        api = create_token(session, "r1", actor="test").secret
    assert client.get(f"/calendar/{api}.ics").status_code == 404
    with transaction(engine) as session:
        session.execute(update(User).where(User.username == "r1").values(active=False))
    assert client.get(f"/calendar/{new}.ics").status_code == 404


def test_hostile_titles_are_escaped_text(engine, world, web):
    hostile = '<script>alert(1)</script>;,\\"><img src=x onerror=alert(1)>{{7*7}}\nline2'
    with transaction(engine) as session:
        session.execute(update(Task).where(Task.id == world.tasks["r1"])
                        .values(title={"zh": hostile, "en": hostile}))
    secret = calendar_token(engine, "r1")
    flat = unfold(web.test_client().get(f"/calendar/{secret}.ics").get_data(as_text=True))
    summary = next(line for line in flat.split("\r\n") if line.startswith("SUMMARY:")
                   and "script" in line)
    assert summary.startswith("SUMMARY:<script>alert(1)</script>\\;\\,\\\\\"><img")
    assert "{{7*7}}\\nline2" in summary and "\nline2" not in flat


def test_escape_and_fold():
    assert escape_text("a;b,c\\d\r\ne\x07") == "a\\;b\\,c\\\\d\\ne"
    line = "SUMMARY:" + "任务" * 40
    folded = fold(line)
    parts = folded.split("\r\n")
    assert all(len(part.encode()) <= 75 for part in parts)
    assert all(part.startswith(" ") for part in parts[1:])
    assert "".join(p[1:] if i else p for i, p in enumerate(parts)) == line


def test_link_page_shows_the_address_once_and_revoke_stops_it(engine, world, web):
    client = web.test_client()
    assert sign_in(client, "r1", PASSWORD).status_code == 302
    assert "生成日历链接" in text(client.get("/tasks"))
    page = text(client.post("/calendar/link", data={"csrf_token": csrf_token(client, "/tasks")}))
    url = re.search(r'>(http://localhost/calendar/(kfc_[^<]+)\.ics)</textarea>', page)
    assert url, page
    assert f'href="webcal://localhost/calendar/{url.group(2)}.ics"' in page
    assert client.get(f"/calendar/{url.group(2)}.ics").status_code == 200
    assert url.group(2) not in text(client.get("/tasks"))     # shown once only
    assert "重新生成日历链接" in text(client.get("/tasks"))
    response = client.post("/calendar/revoke", data={"csrf_token": csrf_token(client, "/tasks")})
    assert response.status_code == 303
    assert client.get(f"/calendar/{url.group(2)}.ics").status_code == 404
    with transaction(engine) as session:
        live = session.scalars(select(AccessToken).where(
            AccessToken.purpose == CALENDAR, AccessToken.revoked_at.is_(None))).all()
    assert live == []


def test_link_without_csrf_makes_nothing(engine, world, web):
    client = web.test_client()
    assert sign_in(client, "r1", PASSWORD).status_code == 302
    assert client.post("/calendar/link").status_code == 400
    with transaction(engine) as session:
        assert session.scalars(select(AccessToken)).all() == []
