"""Sending pending notifications over every configured channel, each row at most once."""
from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from engine import audit
from engine.db import transaction
from engine.models import Notification, User
from engine.notify import claims, mail, webhook
from engine.notify.retry import Outcome, RetryPolicy, with_retries
from engine.notify.settings import NotifySettings

log = logging.getLogger(__name__)
ACTOR = "notify"
CHANNELS = ("email", "webhook")


@dataclass(frozen=True)
class Outgoing:
    """A claimed notification with what delivery needs to know about its addressee."""

    notification: Notification
    username: str | None
    addresses: tuple[str, ...]
    user_active: bool


@dataclass
class DeliveryReport:
    """How many notifications ended in each state, per channel (``sent``, ``failed``, …)."""

    counts: dict[str, Counter] = field(default_factory=lambda: {c: Counter() for c in CHANNELS})

    def add(self, channel: str, state: str, number: int = 1) -> None:
        if number:
            self.counts[channel][state] += number

    def __str__(self) -> str:
        parts = [f"{c}: " + ", ".join(f"{n} {s}" for s, n in sorted(counter.items()))
                 for c, counter in self.counts.items() if counter]
        return "; ".join(parts) or "nothing to deliver"


def _admin_addresses(session: Session) -> tuple[str, ...]:
    rows = session.scalars(select(User.email).where(User.role == "admin", User.active.is_(True),
                                                    User.email.is_not(None), User.email != ""))
    return tuple(sorted(set(rows)))


def _load(engine: Engine, ids: list[int]) -> list[Outgoing]:
    with Session(engine) as session:
        rows = session.execute(select(Notification, User)
                               .outerjoin(User, Notification.user_id == User.id)
                               .where(Notification.id.in_(ids)).order_by(Notification.id)).all()
        admins = _admin_addresses(session) if any(u is None for _, u in rows) else ()
        session.expunge_all()
    return [Outgoing(n, None, admins, True) if user is None else
            Outgoing(n, user.username, (user.email,) if user.email else (), user.active)
            for n, user in rows]


def _send_email(settings: NotifySettings, item: Outgoing, policy: RetryPolicy,
                sleep: Callable[[float], None]) -> Outcome | str:
    if not item.user_active:
        return "inactive"
    if not item.addresses:
        return "no-address"
    message = mail.build_message(settings, list(item.addresses), item.notification)
    return with_retries(lambda: mail.send(settings, message), policy, sleep)


def _send_webhook(settings: NotifySettings, item: Outgoing, policy: RetryPolicy,
                  sleep: Callable[[float], None]) -> Outcome | str:
    body = webhook.webhook_body(item.notification, item.username)
    return with_retries(lambda: webhook.post(settings.webhook_url, settings.webhook_secret, body,
                                             item.notification, settings.timeout_seconds),
                        policy, sleep)


SENDERS = {"email": _send_email, "webhook": _send_webhook}
ENABLED = {"email": lambda s: s.email_enabled, "webhook": lambda s: s.webhook_enabled}


def _record(engine: Engine, channel: str, item: Outgoing, claim: str,
            result: Outcome | str) -> str:
    """Store the outcome of one delivery (and audit a give-up); the state it ended in."""
    if isinstance(result, str):
        state, status = "skipped", f"skipped:{result}"
    elif result.delivered:
        state, status = "sent", f"sent:{result.attempts}"
    else:
        state, status = "failed", f"failed:{result.attempts}"
    notification_id = item.notification.id
    with transaction(engine) as session:
        if not claims.finish(session, channel, notification_id, claim, status):
            log.warning("notification %s: %s claim expired before the outcome was stored",
                        notification_id, channel)
            return "lost"
        if state == "failed":
            audit.record(session, ACTOR, "notification.delivery_failed", "notification",
                         notification_id, {"channel": channel, "attempts": result.attempts,
                                           "error": result.error})
    if state == "failed":
        log.warning("notification %s: %s gave up after %s attempts: %s", notification_id,
                    channel, result.attempts, result.error)
    else:
        log.debug("notification %s: %s %s", notification_id, channel, status)
    return state


def _deliver_channel(engine: Engine, channel: str, settings: NotifySettings,
                     report: DeliveryReport, sleep: Callable[[float], None]) -> None:
    released = claims.release_abandoned(engine, channel, settings.lease_seconds)
    if released:
        log.warning("%s: released %d abandoned claims: %s", channel, len(released), released)
    policy = RetryPolicy(settings.max_attempts, settings.backoff_seconds)
    while True:
        claim, ids = claims.claim_batch(engine, channel, settings.batch_size)
        if not ids:
            return
        for item in _load(engine, ids):
            result = SENDERS[channel](settings, item, policy, sleep)
            report.add(channel, _record(engine, channel, item, claim, result))


def deliver_pending(engine: Engine, settings: NotifySettings | None = None, *,
                    sleep: Callable[[float], None] = time.sleep) -> DeliveryReport:
    """Send every pending notification over each channel and record the outcome.

    A channel that is not configured marks its pending rows ``skipped:off``, so turning it on
    later does not send the backlog. Safe to run in several processes at once.
    """
    settings = settings or NotifySettings.load()
    report = DeliveryReport()
    for channel in CHANNELS:
        if ENABLED[channel](settings):
            _deliver_channel(engine, channel, settings, report, sleep)
        else:
            report.add(channel, "skipped", claims.skip_pending(engine, channel, "off"))
    return report
