"""Helpers of the web tests: an app on the test's database, users, signing in with CSRF."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import Engine

from engine.db import transaction
from engine.users import create_user
from web import create_app
from web.database import dispose_engine

PASSWORD = "correct horse battery"
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def database_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture
def make_app(engine):
    """Build apps on the test's database (``SECRET_KEY`` fixed); engines disposed after."""
    apps = []

    def build(**config):
        app = create_app({"TESTING": True, "DATABASE_URL": database_url(engine),
                          "SECRET_KEY": "test secret key for kamflow web tests", **config})
        apps.append(app)
        return app

    yield build
    for app in apps:
        dispose_engine(app)


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def add_user(engine):
    """Create a user with ``PASSWORD`` (or ``password``); returns the username."""

    def add(username: str, role: str = "rep", password: str | None = PASSWORD, **attributes):
        attributes.setdefault("name", username.title())
        with transaction(engine) as session:
            create_user(session, username, role, password, actor="test", **attributes)
        return username

    return add


def csrf_token(client, path: str = "/login") -> str:
    """The CSRF token of the page at ``path`` (it belongs to the client's session)."""
    match = TOKEN.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def sign_in(client, username: str, password: str = PASSWORD, next_: str = "",
            address: str = "127.0.0.1", **headers):
    token = csrf_token(client)
    return client.post("/login", data={"csrf_token": token, "username": username,
                                       "password": password, "next": next_},
                       headers=headers, environ_base={"REMOTE_ADDR": address})


def post_form(client, path: str, data: dict, page: str = "/"):
    """POST ``data`` to ``path`` with the CSRF token of ``page``."""
    return client.post(path, data={"csrf_token": csrf_token(client, page), **data})


def text(response) -> str:
    return response.get_data(as_text=True)
