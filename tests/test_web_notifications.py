"""In-app notifications: the list of one's own, marking read, the unread count in the header."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from engine.db import transaction
from engine.models import Notification
from web_support import csrf_token, make_app, sign_in, text  # noqa: F401  (fixtures)
from web_world import PASSWORD, _world_snapshot, world  # noqa: F401  (fixtures)


@pytest.fixture
def web(make_app, world):
    return make_app(RATELIMIT_ENABLED=False)


def signed_in(app, username: str):
    client = app.test_client()
    assert sign_in(client, username, PASSWORD).status_code == 302
    return client


def post(client, path: str, data: dict | None = None):
    return client.post(path, data={"csrf_token": csrf_token(client, "/notifications"),
                                   **(data or {})})


def read_at(engine, notification_id: int):
    with transaction(engine) as session:
        return session.scalar(select(Notification.read_at)
                              .where(Notification.id == notification_id))


def header_count(page: str) -> str | None:
    match = re.search(r'href="/notifications"[^>]*>[^<]*<mark>([^<]+)</mark>', page)
    return match.group(1) if match else None


def unread_of(engine, user_id: int) -> int:
    with transaction(engine) as session:
        return len(session.scalars(select(Notification.id).where(
            Notification.user_id == user_id, Notification.read_at.is_(None))).all())


def test_list_shows_own_notifications_only(engine, world, web):
    with transaction(engine) as session:
        session.add(Notification(user_id=world.users["r2"], kind="test", subject="r2 的秘密",
                                 body="", payload={}))
    page = text(signed_in(web, "r1").get("/notifications"))
    assert "测试通知" in page and "r2 的秘密" not in page
    assert f'/notifications/{world.notifications["r1"]}/read"' in page
    assert f'/notifications/{world.notifications["r2"]}/read"' not in page


def test_header_shows_the_unread_count(engine, world, web):
    r1 = signed_in(web, "r1")
    expected = unread_of(engine, world.users["r1"])
    assert expected >= 1
    assert header_count(text(r1.get("/"))) == str(expected)
    post(r1, "/notifications/read-all")
    assert header_count(text(r1.get("/"))) is None


def test_header_caps_the_count(engine, world, web):
    with transaction(engine) as session:
        session.add_all(Notification(user_id=world.users["r1"], kind="test", subject=f"n{i}",
                                     body="", payload={}) for i in range(120))
    assert header_count(text(signed_in(web, "r1").get("/"))) == "99+"


def test_mark_one_read_and_refuse_somebody_elses(engine, world, web):
    r1 = signed_in(web, "r1")
    own, other = world.notifications["r1"], world.notifications["r2"]
    response = post(r1, f"/notifications/{own}/read")
    assert response.status_code == 303 and read_at(engine, own) is not None
    assert post(r1, f"/notifications/{other}/read").status_code == 404
    assert post(r1, "/notifications/999999/read").status_code == 404
    assert read_at(engine, other) is None


def test_read_all_leaves_other_users_alone(engine, world, web):
    response = post(signed_in(web, "r1"), "/notifications/read-all")
    assert response.status_code == 303
    assert unread_of(engine, world.users["r1"]) == 0
    assert read_at(engine, world.notifications["r2"]) is None


def test_admin_sees_those_addressed_to_every_admin(engine, world, web):
    with transaction(engine) as session:
        note = Notification(user_id=None, kind="task.unassigned", subject="任务无人负责",
                            body="", payload={})
        session.add(note)
        session.flush()
        note_id = note.id
    admin = signed_in(web, "admin")
    assert "任务无人负责" in text(admin.get("/notifications"))
    assert "任务无人负责" not in text(signed_in(web, "m1").get("/notifications"))
    assert post(signed_in(web, "m1"), f"/notifications/{note_id}/read").status_code == 404
    assert post(admin, f"/notifications/{note_id}/read").status_code == 303


def test_task_notifications_link_to_the_task(engine, world, web):
    with transaction(engine) as session:
        session.add(Notification(user_id=world.users["r1"], kind="task.assigned",
                                 subject="新任务", body="",
                                 payload={"task_id": world.tasks["r1"]}))
        session.add(Notification(user_id=world.users["r1"], kind="segment.changed",
                                 subject="C1 变了", body="", payload={"customer_code": "C1"}))
    page = text(signed_in(web, "r1").get("/notifications"))
    assert f'href="/tasks/{world.tasks["r1"]}"' in page
    assert 'href="/customers/C1"' in page


def test_without_csrf_nothing_is_marked(engine, world, web):
    r1 = signed_in(web, "r1")
    own = world.notifications["r1"]
    assert r1.post(f"/notifications/{own}/read").status_code == 400
    assert r1.post("/notifications/read-all", data={"csrf_token": "x"}).status_code == 400
    assert read_at(engine, own) is None


def test_hostile_subjects_are_text(engine, world, web):
    with transaction(engine) as session:
        session.add(Notification(user_id=world.users["r1"], kind="test",
                                 subject='<script>alert(1)</script>"><img src=x onerror=alert(1)>{{7*7}}',
                                 body="<b>x</b>", payload={"task_id": "javascript:alert(1)"}))
    page = text(signed_in(web, "r1").get("/notifications"))
    assert "<script>alert(1)" not in page and "<img src=x" not in page and "<b>x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "{{7*7}}" in page
    assert "javascript:" not in page
