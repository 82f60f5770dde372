"""Access tokens: API bearer tokens and calendar feed tokens, stored hashed, revocable."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow
from .people import User

TOKEN_PURPOSES = ("api", "calendar")


class AccessToken(Base):
    """A secret that acts as its user: an API bearer token or a calendar feed address.

    Only the SHA-256 of the secret is stored; the secret is shown once when it is made.
    """

    __tablename__ = "access_tokens"
    __table_args__ = (
        CheckConstraint("purpose IN ('api', 'calendar')", name="purpose"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(100))
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<AccessToken {self.id} {self.purpose} of user {self.user_id}>"
