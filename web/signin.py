"""Signing in and changing one's password: the service functions behind the auth views."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from engine import users
from engine.db import transaction
from engine.models import User
from web import throttle
from web.accounts import SignedInUser, signed_in_user
from web.database import get_engine

# Checked when the username is unknown, so that an unknown name takes as long as a wrong
# password and the answer time does not tell which usernames exist.
_DUMMY_HASH = generate_password_hash("kamflow: no such user")


@dataclass(frozen=True)
class SignInOutcome:
    user: SignedInUser | None = None
    retry_after: timedelta = timedelta(0)

    @property
    def throttled(self) -> bool:
        return self.retry_after > timedelta(0)


def policy() -> throttle.ThrottlePolicy:
    return current_app.config.get("LOGIN_THROTTLE") or throttle.ThrottlePolicy()


def sign_in(username: str, password: str, address: str) -> SignInOutcome:
    """Check a sign-in attempt, audit it, and say who signed in or how long to wait."""
    at = throttle.now()
    with transaction(get_engine()) as session:
        wait = throttle.retry_after(session, username, address, policy(), at)
        if wait:
            throttle.record_attempt(session, throttle.REFUSED, username, address, at,
                                    retry_after=int(wait.total_seconds()) + 1)
            return SignInOutcome(retry_after=wait)
        user = session.scalar(select(User).where(User.username == username))
        reason = _refusal(user, password)
        if reason:
            throttle.record_attempt(session, throttle.FAILED, username, address, at,
                                    reason=reason)
            return SignInOutcome()
        throttle.record_attempt(session, throttle.SUCCEEDED, username, address, at)
        return SignInOutcome(user=signed_in_user(user))


def _refusal(user: User | None, password: str) -> str | None:
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return "unknown user"
    if not users.verify_password(user, password):
        return "wrong password"
    if not user.active:
        return "inactive user"
    return None


def change_password(username: str, current: str, new: str) -> SignedInUser | None:
    """Set ``new`` after checking ``current``; the user as now signed in, or None when
    ``current`` is wrong."""
    with transaction(get_engine()) as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None or not users.verify_password(user, current):
            return None
        users.set_password(session, username, new, actor=username)
        return signed_in_user(user)


def set_locale(user_id: int, locale: str) -> None:
    with Session(get_engine()) as session, session.begin():
        user = session.get(User, user_id)
        if user is not None:
            user.locale = locale
