"""``/admin/users``: the list and its filters, creating a user (problems at the field, the
generated password shown once), editing, setting a password, revoking a token, deactivating
with the work handed over (the user's sessions and tokens stop working), hostile text."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from engine import tokens
from engine.db import transaction
from engine.models import AuditEntry, Customer, User
from web_support import app, make_app, post_form, sign_in, text  # noqa: F401  (fixtures)
from web_world import PASSWORD, _world_snapshot, world  # noqa: F401  (fixtures)

HOSTILE = '"><img src=x onerror=alert(1)><script>alert(2)</script>{{7*7}}'


def _client(app, username: str = "admin"):
    client = app.test_client()
    assert sign_in(client, username, PASSWORD).status_code == 302
    return client


def _user(engine, username: str) -> User | None:
    with transaction(engine) as session:
        return session.scalar(select(User).where(User.username == username))


def _row(page: str, username: str) -> str:
    match = re.search(rf'<tr>\s*<td[^>]*><a href="/admin/users/\d+">{username}</a>.*?</tr>',
                      page, re.S)
    assert match, f"no row of {username}"
    return match.group(0)


def _cells(row: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>",
                                                                        row, re.S)]


def test_only_admins_enter(app, world):
    assert _client(app).get("/admin/users").status_code == 200
    for username in ("m1", "r1", "s1"):
        assert _client(app, username).get("/admin/users").status_code == 403


def test_the_list_shows_each_user_with_counts_and_filters(app, world):
    client = _client(app)
    page = text(client.get("/admin/users?lang=en"))
    cells = _cells(_row(page, "r1"))
    assert cells[0] == "r1" and cells[1] == "R1" and cells[4] == "east" and cells[5] == "m1"
    assert int(cells[-1]) == 2                       # C1 and the inactive C3
    assert int(cells[-2]) >= 1                       # r1's open tasks
    filtered = text(client.get("/admin/users?team=west"))
    assert 'href="/admin/users/' in filtered and ">r2</a>" in filtered and ">r1</a>" not in filtered
    assert ">m2</a>" in text(client.get("/admin/users?role=manager&q=M2"))
    assert ">m1</a>" not in text(client.get("/admin/users?role=manager&q=M2"))


def test_creating_a_user_shows_problems_at_the_fields(app, world, engine):
    client = _client(app)
    response = post_form(client, "/admin/users/new",
                         {"username": "r1", "name": "", "role": "rep", "locale": "zh",
                          "email": "not-an-address", "manager_id": "", "seniority": "",
                          "team": "", "password": ""}, "/admin/users/new")
    page = text(response)
    assert response.status_code == 400
    assert re.search(r'id="username-errors".*?<li>[^<]+</li>', page, re.S)
    assert 'id="name-errors"' in page and 'id="email-errors"' in page
    bad = post_form(client, "/admin/users/new",
                    {"username": "a b", "name": "x", "role": "rep", "locale": "zh"},
                    "/admin/users/new")
    assert bad.status_code == 400 and 'id="username-errors"' in text(bad)
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(User)) == 6


def test_a_created_user_gets_a_generated_password_shown_once(app, world, engine):
    client = _client(app)
    response = post_form(client, "/admin/users/new",
                         {"username": "r3", "name": "王小明", "role": "rep", "locale": "zh",
                          "team": "east", "manager_id": str(world.users["m1"]),
                          "seniority": "junior", "email": "r3@example.com", "password": ""},
                         "/admin/users/new")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    secret = re.search(r'<code id="new-password">([^<]+)</code>', text(response)).group(1)
    user = _user(engine, "r3")
    assert user.manager_id == world.users["m1"] and user.team == "east" and user.active
    assert sign_in(app.test_client(), "r3", secret).status_code == 302
    assert secret not in text(client.get(f"/admin/users/{user.id}"))


def test_editing_a_user_is_saved_and_audited(app, world, engine):
    client = _client(app)
    user_id = world.users["r2"]
    page = text(client.get(f"/admin/users/{user_id}"))
    assert 'value="west"' in page
    response = post_form(client, f"/admin/users/{user_id}",
                         {"name": "R2", "role": "rep", "seniority": "regular", "team": "east",
                          "manager_id": str(world.users["m1"]), "email": "", "locale": "en"},
                         f"/admin/users/{user_id}")
    assert response.status_code == 303
    user = _user(engine, "r2")
    assert (user.team, user.manager_id, user.locale) == ("east", world.users["m1"], "en")
    refused = post_form(client, f"/admin/users/{user_id}",
                        {"name": "R2", "role": "rep", "locale": "en",
                         "manager_id": str(user_id)}, f"/admin/users/{user_id}")
    assert refused.status_code == 400 and 'id="manager_id-errors"' in text(refused)
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "user.update", AuditEntry.object_id == "r2")) == 1


def test_setting_a_password_ends_the_users_sessions(app, world, engine):
    admin, rep = _client(app), _client(app, "r1")
    assert rep.get("/tasks").status_code == 200
    user_id = world.users["r1"]
    short = post_form(admin, f"/admin/users/{user_id}/password",
                      {"mode": "typed", "password": "short"}, f"/admin/users/{user_id}")
    assert short.status_code == 400 and 'id="password-errors"' in text(short)
    typed = post_form(admin, f"/admin/users/{user_id}/password",
                      {"mode": "typed", "password": "a brand new password"},
                      f"/admin/users/{user_id}")
    assert typed.status_code == 200 and 'id="new-password"' not in text(typed)
    assert rep.get("/tasks").status_code == 302                     # signed out
    assert sign_in(app.test_client(), "r1", "a brand new password").status_code == 302


def test_an_admin_setting_their_own_password_stays_signed_in(app, world):
    admin = _client(app)
    user_id = world.users["admin"]
    response = post_form(admin, f"/admin/users/{user_id}/password", {"mode": "generate"},
                         f"/admin/users/{user_id}")
    assert response.status_code == 200 and 'id="new-password"' in text(response)
    assert admin.get("/admin/users").status_code == 200


def test_tokens_are_listed_and_revoked(app, world, engine):
    with transaction(engine) as session:
        secret = tokens.create_token(session, "r1", name="报表同步", actor="test")
        other = tokens.create_token(session, "r2", actor="test")
    client = _client(app)
    user_id = world.users["r1"]
    assert "报表同步" in text(client.get(f"/admin/users/{user_id}"))
    wrong = post_form(client, f"/admin/users/{user_id}/tokens/revoke",
                      {"token_id": str(other.id)}, f"/admin/users/{user_id}")
    assert wrong.status_code == 404                       # r2's token, not r1's
    done = post_form(client, f"/admin/users/{user_id}/tokens/revoke",
                     {"token_id": str(secret.id)}, f"/admin/users/{user_id}")
    assert done.status_code == 303
    with transaction(engine) as session:
        assert tokens.user_of_token(session, secret.secret) is None
        assert tokens.user_of_token(session, other.secret) is not None


def test_deactivating_shows_the_work_then_hands_it_over(app, world, engine):
    client, rep = _client(app), _client(app, "r1")
    user_id = world.users["r1"]
    page = text(client.get(f"/admin/users/{user_id}/deactivate"))
    assert re.search(r'id="owned-customers">2<', page)
    options = re.findall(r'<option value="(\d+)"', page)
    assert options[:2] == [str(world.users["m1"]), str(world.users["s1"])]   # team east first
    missing = post_form(client, f"/admin/users/{user_id}/deactivate", {"successor": ""},
                        f"/admin/users/{user_id}/deactivate")
    assert missing.status_code == 400 and 'id="successor-errors"' in text(missing)
    assert _user(engine, "r1").active
    done = post_form(client, f"/admin/users/{user_id}/deactivate",
                     {"successor": str(world.users["r2"])}, f"/admin/users/{user_id}/deactivate")
    assert done.status_code == 303
    assert not _user(engine, "r1").active
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(Customer).where(
            Customer.owner_id == world.users["r2"])) == 3
    assert rep.get("/tasks").status_code == 302                     # the session ended
    assert sign_in(app.test_client(), "r1", PASSWORD).status_code != 302
    assert "r1" in text(client.get("/admin/users?active=no"))


def test_an_admin_cannot_deactivate_themselves(app, world, engine):
    client = _client(app)
    user_id = world.users["admin"]
    response = post_form(client, f"/admin/users/{user_id}/deactivate", {"successor": ""},
                         f"/admin/users/{user_id}/deactivate")
    assert response.status_code == 400 and 'class="form-errors"' in text(response)
    assert _user(engine, "admin").active


def test_unknown_users_answer_404(app, world):
    client = _client(app)
    assert client.get("/admin/users/99999").status_code == 404
    assert client.get("/admin/users/99999/deactivate").status_code == 404
    assert post_form(client, "/admin/users/99999", {"name": "x", "role": "rep", "locale": "zh"},
                     "/admin/users").status_code == 404


def test_hostile_names_are_text(app, world, engine):
    client = _client(app)
    created = post_form(client, "/admin/users/new",
                        {"username": "evil", "name": HOSTILE, "role": "rep", "locale": "zh",
                         "team": HOSTILE[:100], "password": ""}, "/admin/users/new")
    assert created.status_code == 200
    user_id = _user(engine, "evil").id
    for path in ("/admin/users", f"/admin/users/{user_id}",
                 f"/admin/users/{user_id}/deactivate", "/admin/users?q=%3Cscript"):
        page = text(client.get(path))
        assert "<script>alert(2)" not in page and "<img src=x" not in page, path
        assert "&lt;script&gt;alert(2)&lt;/script&gt;{{7*7}}" in page, path
