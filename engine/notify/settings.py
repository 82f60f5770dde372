"""Delivery settings: ``KAMFLOW_<NAME>`` in the environment, else ``NAME`` in instance/config.py.

===========================  =========  ==================================================
name                         default    meaning
===========================  =========  ==================================================
SMTP_HOST                    (none)     e-mail is off unless set
SMTP_PORT                    25
SMTP_FROM                    (none)     sender address; required with SMTP_HOST
SMTP_USER / SMTP_PASSWORD    (none)     log in when SMTP_USER is set
SMTP_SECURITY                none       ``none``, ``starttls`` or ``ssl``
WEBHOOK_URL                  (none)     the webhook is off unless set
WEBHOOK_SECRET               (none)     HMAC-SHA256 key; required with WEBHOOK_URL
NOTIFY_MAX_ATTEMPTS          5          tries per message and channel before giving up
NOTIFY_BACKOFF_SECONDS       1.0        wait before the 2nd try; doubles each time (cap 60 s)
NOTIFY_TIMEOUT_SECONDS       10         network timeout of one try
NOTIFY_LEASE_SECONDS         600        a claim older than this is taken as abandoned
NOTIFY_BATCH_SIZE            50         rows one worker claims at a time
===========================  =========  ==================================================
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Callable

from engine.config import Settings, load_settings
from engine.errors import InvalidInput, Problem

SECURITY_MODES = ("none", "starttls", "ssl")


def setting(settings: Settings, name: str, default: Any = None,
            cast: Callable[[Any], Any] = str) -> Any:
    """The value of setting ``name``: env ``KAMFLOW_<NAME>``, then instance/config.py, else
    ``default``; ``cast`` converts what was found (a bad value names the setting)."""
    raw = os.environ.get(f"KAMFLOW_{name}")
    if raw in (None, ""):
        raw = settings.extra.get(name)
    if raw is None or raw == "":
        return default
    try:
        return cast(raw)
    except (TypeError, ValueError) as exc:
        raise InvalidInput([Problem(file=f"KAMFLOW_{name}", message=f"{raw!r}: {exc}")],
                           subject="settings") from exc


@dataclass(frozen=True)
class NotifySettings:
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str | None = None
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_security: str = "none"
    webhook_url: str | None = None
    webhook_secret: str | None = None
    max_attempts: int = 5
    backoff_seconds: float = 1.0
    timeout_seconds: float = 10.0
    lease_seconds: float = 600.0
    batch_size: int = 50

    @property
    def email_enabled(self) -> bool:
        return bool(self.smtp_host)

    @property
    def webhook_enabled(self) -> bool:
        return bool(self.webhook_url)

    @classmethod
    def load(cls, settings: Settings | None = None) -> NotifySettings:
        """Read and check the delivery settings; every problem is reported at once."""
        s = settings or load_settings()
        found = cls(
            smtp_host=setting(s, "SMTP_HOST"), smtp_port=setting(s, "SMTP_PORT", 25, int),
            smtp_from=setting(s, "SMTP_FROM"), smtp_user=setting(s, "SMTP_USER"),
            smtp_password=setting(s, "SMTP_PASSWORD"),
            smtp_security=setting(s, "SMTP_SECURITY", "none", str.lower),
            webhook_url=setting(s, "WEBHOOK_URL"), webhook_secret=setting(s, "WEBHOOK_SECRET"),
            max_attempts=setting(s, "NOTIFY_MAX_ATTEMPTS", 5, int),
            backoff_seconds=setting(s, "NOTIFY_BACKOFF_SECONDS", 1.0, float),
            timeout_seconds=setting(s, "NOTIFY_TIMEOUT_SECONDS", 10.0, float),
            lease_seconds=setting(s, "NOTIFY_LEASE_SECONDS", 600.0, float),
            batch_size=setting(s, "NOTIFY_BATCH_SIZE", 50, int),
        )
        found.check()
        return found

    def check(self) -> None:
        problems = []

        def need(ok: bool, name: str, message: str) -> None:
            if not ok:
                problems.append(Problem(file=f"KAMFLOW_{name}", message=message))

        need(self.smtp_security in SECURITY_MODES, "SMTP_SECURITY",
             f"{self.smtp_security!r} is not one of {', '.join(SECURITY_MODES)}")
        need(not self.smtp_host or bool(self.smtp_from), "SMTP_FROM",
             "a sender address is required when SMTP_HOST is set")
        need(not self.webhook_url or bool(self.webhook_secret), "WEBHOOK_SECRET",
             "a signing secret is required when WEBHOOK_URL is set")
        need(not self.webhook_url or str(self.webhook_url).startswith(("http://", "https://")),
             "WEBHOOK_URL", "must start with http:// or https://")
        need(self.max_attempts >= 1, "NOTIFY_MAX_ATTEMPTS", "must be at least 1")
        need(self.backoff_seconds >= 0, "NOTIFY_BACKOFF_SECONDS", "must not be negative")
        need(self.batch_size >= 1, "NOTIFY_BATCH_SIZE", "must be at least 1")
        need(self.lease_seconds > 0, "NOTIFY_LEASE_SECONDS", "must be positive")
        if problems:
            raise InvalidInput(problems, subject="notification settings")
