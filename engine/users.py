"""Users: creating them with hashed passwords, and the first admin."""
from __future__ import annotations

import secrets
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from engine import audit
from engine.errors import InvalidInput, NotFound, Problem
from engine.models import User

ROLES = ("admin", "manager", "rep", "staff")
SENIORITY = ("junior", "regular", "senior")
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024


def create_user(session: Session, username: str, role: str, password: str | None = None,
                actor: str | None = None, **attributes) -> User:
    """A new active user; ``password`` is stored hashed (scrypt), never as given."""
    user = User(username=username, role=role, active=True,
                password_hash=generate_password_hash(password) if password else None,
                created_at=datetime.now(timezone.utc), **attributes)
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.create", "user", username, {"role": role})
    return user


def verify_password(user: User, password: str) -> bool:
    return bool(user.password_hash) and check_password_hash(user.password_hash, password)


def ensure_first_admin(session: Session, password: str | None) -> tuple[User | None, str | None]:
    """Create ``admin`` when no admin exists; returns (user, generated password or None)."""
    if session.scalar(select(User.id).where(User.role == "admin").limit(1)) is not None:
        return None, None
    generated = None if password else secrets.token_urlsafe(12)
    user = create_user(session, "admin", "admin", password or generated, actor="kamflow init",
                       name="Administrator", locale="zh")
    return user, generated


def generate_password() -> str:
    """A new random password (16 URL-safe characters, about 96 bits)."""
    return secrets.token_urlsafe(12)


def password_problems(password: str) -> list[str]:
    """Why ``password`` may not be used (empty when it may)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return [f"a password needs at least {MIN_PASSWORD_LENGTH} characters, "
                f"this one has {len(password)}"]
    if len(password) > MAX_PASSWORD_LENGTH:
        return [f"a password may have at most {MAX_PASSWORD_LENGTH} characters"]
    if password.strip() != password:
        return ["a password may not start or end with a space"]
    return []


def set_password(session: Session, username: str, password: str,
                 actor: str | None = None) -> User:
    """Store ``password`` (hashed) for ``username``; this ends the user's other sessions.

    ``NotFound`` (with the closest username) for an unknown user; ``InvalidInput`` for a
    password that ``password_problems`` refuses.
    """
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        known = list(session.scalars(select(User.username).order_by(User.username)))
        raise NotFound("user", username, known)
    problems = password_problems(password)
    if problems:
        raise InvalidInput([Problem(file="password", message=m) for m in problems], "password")
    user.password_hash = generate_password_hash(password)
    session.flush()
    audit.record(session, actor, "user.password", "user", username)
    return user
