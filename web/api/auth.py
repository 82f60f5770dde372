"""Who calls the API: the active user of the bearer token, on every request. A session cookie
opens nothing here; a missing, unknown or revoked token, or one of an inactive user, is a 401."""
from __future__ import annotations

from dataclasses import dataclass

from flask import g, request
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from engine import access
from engine.db import transaction
from engine.tokens import user_of_token
from web.api import bp
from web.api.errors import ApiError
from web.database import get_engine


@dataclass(frozen=True)
class Caller:
    viewer: access.Viewer
    locale: str


def bearer_secret() -> str | None:
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return secret.strip() or None


def _user_of(secret: str):
    """The token's user. The lookup may note when the token was used (at most once a
    minute); should that write meet another writer, it is done again as a writer."""
    try:
        with Session(get_engine(), expire_on_commit=False) as session:
            user = user_of_token(session, secret)
            session.commit()
            return user
    except OperationalError:
        with transaction(get_engine()) as session:
            return user_of_token(session, secret)


@bp.before_request
def authenticate() -> None:
    secret = bearer_secret()
    user = _user_of(secret) if secret else None
    if user is None:
        raise ApiError(401)
    g.api_caller = Caller(access.Viewer(user.id, user.username, user.role, user.team),
                          user.locale or "zh")


def caller() -> Caller:
    return g.api_caller


def viewer() -> access.Viewer:
    return g.api_caller.viewer


def require(roles: tuple[str, ...]) -> access.Viewer:
    """The caller's viewer, if their role is one of ``roles``; a 403 otherwise."""
    current = viewer()
    if not access.may(current, roles):
        raise ApiError(403)
    return current
