"""Access tokens (SPEC §5.2): a secret that acts as its user, for the API (``Authorization:
Bearer …``) or for a calendar feed (``/calendar/<token>.ics``).

The secret is shown once, when it is made; the database keeps its SHA-256 only, so a stolen
database yields no working token. A token of an inactive user, or a revoked one, opens nothing.
Making and revoking are audited.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine import audit
from engine.errors import NotFound
from engine.models import AccessToken, User, utcnow

API, CALENDAR = "api", "calendar"
PREFIX = {API: "kf_", CALENDAR: "kfc_"}
OBJECT_TYPE = "access_token"


@dataclass(frozen=True)
class NewToken:
    """A token just made: its id and the secret, which is shown now and never again."""

    id: int
    secret: str


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def _user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound("user", username)
    return user


def create_token(session: Session, username: str, purpose: str = API, name: str | None = None,
                 actor: str | None = None) -> NewToken:
    """A new token of ``username``; the secret is in the result only."""
    user = _user(session, username)
    secret = PREFIX[purpose] + secrets.token_urlsafe(32)
    token = AccessToken(user_id=user.id, purpose=purpose, name=(name or purpose)[:100],
                        token_hash=digest(secret), created_at=utcnow(), created_by=actor)
    session.add(token)
    session.flush()
    audit.record(session, actor, "token.create", OBJECT_TYPE, token.id,
                 {"user": username, "purpose": purpose, "name": token.name})
    return NewToken(token.id, secret)


def revoke_token(session: Session, token_id: int, actor: str | None = None) -> AccessToken:
    """Revoke token ``token_id`` (revoking a revoked token changes nothing)."""
    token = session.get(AccessToken, token_id)
    if token is None:
        raise NotFound("token", str(token_id))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(session, actor, "token.revoke", OBJECT_TYPE, token.id,
                     {"user_id": token.user_id, "purpose": token.purpose})
    return token


def replace_calendar_token(session: Session, username: str, actor: str | None = None) -> NewToken:
    """A new calendar token of ``username``; the old calendar addresses stop working."""
    user = _user(session, username)
    for token_id in session.scalars(select(AccessToken.id).where(
            AccessToken.user_id == user.id, AccessToken.purpose == CALENDAR,
            AccessToken.revoked_at.is_(None))):
        revoke_token(session, token_id, actor)
    return create_token(session, username, CALENDAR, "calendar", actor)


def user_of_token(session: Session, secret: str, purpose: str = API) -> User | None:
    """The active user whose live token of ``purpose`` is ``secret``; ``None`` otherwise.

    Marks the token as used (at most once a minute, so reads do not turn into writes)."""
    if not secret or len(secret) > 200:
        return None
    row = session.execute(
        select(AccessToken, User).join(User, User.id == AccessToken.user_id)
        .where(AccessToken.token_hash == digest(secret), AccessToken.purpose == purpose,
               AccessToken.revoked_at.is_(None), User.active)).first()
    if row is None:
        return None
    token, user = row
    now = utcnow()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        session.execute(update(AccessToken).where(AccessToken.id == token.id)
                        .values(last_used_at=now))
    return user


def tokens_of(session: Session, user_id: int | None = None) -> list[AccessToken]:
    """Tokens (live and revoked), newest first; of one user when ``user_id`` is given."""
    query = select(AccessToken).order_by(AccessToken.id.desc())
    if user_id is not None:
        query = query.where(AccessToken.user_id == user_id)
    return list(session.scalars(query))
