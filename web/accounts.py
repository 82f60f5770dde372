"""Who is signed in: the session's user, loaded per request, and the role checks of views."""
from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass

from flask import Flask, abort
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.models import User
from web.database import get_engine

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please sign in to see this page.")
login_manager.login_message_category = "info"

ROLE_LABELS = {
    "admin": _l("Administrator"),
    "manager": _l("Manager"),
    "rep": _l("Sales rep"),
    "staff": _l("Staff"),
}


@dataclass(frozen=True)
class SignedInUser:
    """The signed-in user as views need it; no database session stays open behind it."""

    id: int
    username: str
    name: str
    role: str
    team: str | None
    locale: str
    password_fingerprint: str

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        # The fingerprint of the password hash ends every session of this user when the
        # password changes (sessions signed before the change no longer match).
        return f"{self.id}:{self.password_fingerprint}"

    def has_role(self, *roles: str) -> bool:
        return self.role in roles

    @property
    def role_label(self) -> str:
        return str(ROLE_LABELS.get(self.role, self.role))

    @property
    def display_name(self) -> str:
        return self.name or self.username


def fingerprint(password_hash: str | None) -> str:
    return hashlib.sha256((password_hash or "").encode()).hexdigest()[:16]


def signed_in_user(user: User) -> SignedInUser:
    return SignedInUser(user.id, user.username, user.name, user.role, user.team,
                        user.locale or "zh", fingerprint(user.password_hash))


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.user_loader(load_user)


def load_user(session_id: str) -> SignedInUser | None:
    """The user a session names, unless they were deactivated or changed their password."""
    user_id, _, print_ = session_id.partition(":")
    if not user_id.isdigit():
        return None
    with Session(get_engine()) as session:
        user = session.scalar(select(User).where(User.id == int(user_id), User.active))
        if user is None or not user.password_hash or fingerprint(user.password_hash) != print_:
            return None
        return signed_in_user(user)


def role_required(*roles: str):
    """A view for signed-in users of ``roles``: others are sent to sign in, or answered 403."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorator
