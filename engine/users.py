"""Users: creating them with hashed passwords, and the first admin."""
from __future__ import annotations

import secrets
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from engine import audit
from engine.models import User

ROLES = ("admin", "manager", "rep", "staff")
SENIORITY = ("junior", "regular", "senior")


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
