"""Signing in and out, ``next=``, CSRF, password change, session expiry, role checks."""
from __future__ import annotations

import time

import pytest
from flask import Blueprint
from sqlalchemy import select

from engine.models import AuditEntry, User
from web.accounts import role_required
from web_support import (  # noqa: F401  (fixtures)
    PASSWORD,
    add_user,
    app,
    client,
    csrf_token,
    make_app,
    post_form,
    sign_in,
    text,
)


def test_home_asks_for_sign_in_with_next(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.location == "/login?next=%2F"


def test_sign_in_shows_the_home_page_of_the_role(client, add_user):
    add_user("wangfang", "rep", name="王芳", team="华东")
    response = sign_in(client, "wangfang")
    assert response.status_code == 302 and response.location == "/"
    page = text(client.get("/"))
    assert "您好，王芳" in page and "医药代表" in page and "团队：华东" in page
    assert 'href="/tasks"' in page and 'href="/customers"' in page
    assert 'href="/studio/"' not in page and 'href="/approvals"' not in page


@pytest.mark.parametrize("role, shown, hidden", [
    ("admin", ["/studio/", "/admin/users", "/admin/audit", "/runs", "/approvals"], []),
    ("manager", ["/approvals", "/reports/", "/runs", "/tasks"], ["/studio/", "/admin/users"]),
    ("staff", ["/customers", "/tasks"], ["/runs", "/studio/", "/approvals"]),
])
def test_home_links_the_areas_of_each_role(client, add_user, role, shown, hidden):
    add_user("someone", role)
    sign_in(client, "someone")
    page = text(client.get("/"))
    assert all(f'href="{path}"' in page for path in shown)
    assert not any(f'href="{path}"' in page for path in hidden)


def test_wrong_password_and_unknown_user_answer_alike(client, add_user, session):
    add_user("wangfang")
    wrong = sign_in(client, "wangfang", "not the password")
    unknown = sign_in(client, "nobody", "not the password")
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert "用户名或密码错误。" in text(response)
    assert client.get("/").status_code == 302
    entries = session.execute(select(AuditEntry.action, AuditEntry.object_id,
                                     AuditEntry.details).order_by(AuditEntry.id)).all()
    failed = [(a, o, d["reason"]) for a, o, d in entries if a == "login.failed"]
    assert failed == [("login.failed", "wangfang", "wrong password"),
                      ("login.failed", "nobody", "unknown user")]


def test_inactive_user_cannot_sign_in(client, add_user, session, engine):
    add_user("leaver")
    session.execute(User.__table__.update().values(active=False))
    session.commit()
    assert sign_in(client, "leaver").status_code == 401


def test_success_is_audited_with_the_address(client, add_user, session):
    add_user("wangfang")
    sign_in(client, "wangfang")
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "login.succeeded")).one()
    assert (entry.actor, entry.object_id, entry.details) == (
        "wangfang", "wangfang", {"address": "127.0.0.1"})


@pytest.mark.parametrize("target, expected", [
    ("/tasks?status=open", "/tasks?status=open"),
    ("https://evil.example/", "/"),
    ("//evil.example/", "/"),
    ("/\\evil.example", "/"),
    ("\\\\evil.example", "/"),
    ("/\t/evil.example", "/"),
    ("javascript:alert(1)", "/"),
    ("tasks", "/"),
])
def test_next_only_leads_inside_the_app(client, add_user, target, expected):
    add_user("wangfang")
    response = sign_in(client, "wangfang", next_=target)
    assert response.status_code == 302
    assert response.location == expected


def test_signed_in_user_visiting_login_goes_to_next(client, add_user):
    add_user("wangfang")
    sign_in(client, "wangfang")
    assert client.get("/login?next=//evil.example").location == "/"
    assert client.get("/login?next=/customers").location == "/customers"


def test_post_without_csrf_token_changes_nothing(client, add_user, session):
    add_user("wangfang")
    response = client.post("/login", data={"username": "wangfang", "password": PASSWORD})
    assert response.status_code == 400
    assert "表单已过期或来源异常" in text(response)
    assert client.get("/").status_code == 302
    assert session.scalars(select(AuditEntry.action).where(
        AuditEntry.action.like("login.%"))).all() == []


def test_csrf_token_of_another_session_is_refused(app, add_user):
    add_user("wangfang")
    other = app.test_client()
    token = csrf_token(other)
    client = app.test_client()
    client.get("/login")
    response = client.post("/login", data={"csrf_token": token, "username": "wangfang",
                                           "password": PASSWORD})
    assert response.status_code == 400


def test_script_post_needs_the_token_header(client, add_user):
    add_user("wangfang")
    sign_in(client, "wangfang")
    assert client.post("/language", data={"locale": "en"}).status_code == 400
    token = csrf_token(client, "/")
    response = client.post("/language", data={"locale": "en"}, headers={"X-CSRFToken": token})
    assert response.status_code == 302


def test_logout_needs_a_post_with_token(client, add_user):
    add_user("wangfang")
    sign_in(client, "wangfang")
    assert client.get("/logout").status_code == 200          # a page with the button
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200
    response = post_form(client, "/logout", {})
    assert response.location == "/login"
    assert client.get("/").status_code == 302
    assert "您已退出登录。" in text(client.get("/login"))


def test_session_expires_after_its_lifetime(make_app, add_user):
    from datetime import timedelta

    client = make_app(PERMANENT_SESSION_LIFETIME=timedelta(seconds=1)).test_client()
    add_user("wangfang")
    sign_in(client, "wangfang")
    assert client.get("/").status_code == 200
    time.sleep(2.1)
    assert client.get("/").status_code == 302


def test_password_change(app, client, add_user, engine):
    add_user("wangfang")
    other_device = app.test_client()
    sign_in(other_device, "wangfang")
    sign_in(client, "wangfang")
    new = "a much better password"
    response = post_form(client, "/password", {"current": PASSWORD, "new": new, "confirm": new},
                         page="/password")
    assert response.status_code == 302 and response.location == "/"
    assert "密码已修改" in text(client.get("/"))
    assert other_device.get("/").status_code == 302          # its session ended
    post_form(client, "/logout", {})
    assert sign_in(client, "wangfang").status_code == 401
    assert sign_in(client, "wangfang", new).status_code == 302


@pytest.mark.parametrize("current, new, confirm, message", [
    ("wrong password!", "a much better password", "a much better password", "当前密码不正确。"),
    (PASSWORD, "short", "short", "请输入 10–1024 个字符。"),
    (PASSWORD, "a much better password", "a much better passw0rd", "两次输入的新密码不一致。"),
    (PASSWORD, " padded password ", " padded password ", "密码首尾不能有空格。"),
])
def test_password_change_refused(client, add_user, current, new, confirm, message):
    add_user("wangfang")
    sign_in(client, "wangfang")
    response = post_form(client, "/password", {"current": current, "new": new,
                                               "confirm": confirm}, page="/password")
    assert response.status_code == 400
    assert message in text(response)
    assert 'aria-invalid="true"' in text(response)
    post_form(client, "/logout", {})
    assert sign_in(client, "wangfang").status_code == 302    # the old password still works


def test_role_required_answers_403_to_other_roles(make_app, add_user):
    app = make_app()
    probe = Blueprint("probe", __name__)
    probe.get("/probe")(role_required("admin")(lambda: "admin only"))
    app.register_blueprint(probe)
    client = app.test_client()
    assert client.get("/probe").location == "/login?next=%2Fprobe"
    add_user("wangfang", "rep")
    add_user("boss", "admin")
    sign_in(client, "wangfang")
    response = client.get("/probe")
    assert response.status_code == 403 and "您的角色无权执行此操作。" in text(response)
    post_form(client, "/logout", {})
    sign_in(client, "boss")
    assert text(client.get("/probe")) == "admin only"
