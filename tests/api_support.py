"""Helpers of the API tests: a live bearer token of a user on an app's database."""
from __future__ import annotations

from engine.db import transaction
from engine.tokens import create_token
from web.database import get_engine


def bearer_token(app, username: str, name: str = "test") -> str:
    """A new API token secret of ``username``, made through ``engine.tokens`` on ``app``'s
    database."""
    with app.app_context():
        with transaction(get_engine()) as session:
            return create_token(session, username, name=name, actor="test").secret


def auth(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}
