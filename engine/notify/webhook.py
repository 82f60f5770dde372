"""The outbound webhook: a JSON POST signed with HMAC-SHA256 of the body.

The receiver checks ``X-Kamflow-Signature: sha256=<hex>`` against its copy of the secret and may
use ``X-Kamflow-Delivery`` (the notification id) to drop a repeat after a lost answer.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request

from engine.models import Notification
from engine.notify.retry import DeliveryFailed

SIGNATURE_HEADER = "X-Kamflow-Signature"
DELIVERY_HEADER = "X-Kamflow-Delivery"
EVENT_HEADER = "X-Kamflow-Event"
# Worth another try: the receiver was busy, slow or broken for a moment.
RETRYABLE_STATUSES = frozenset({408, 425, 429}) | frozenset(range(500, 600))


def webhook_body(notification: Notification, username: str | None) -> bytes:
    """The JSON document posted for ``notification`` (UTF-8, keys sorted, no spaces)."""
    document = {
        "id": notification.id,
        "kind": notification.kind,
        "user": username,
        "subject": notification.subject,
        "body": notification.body,
        "payload": notification.payload or {},
        "created_at": notification.created_at.isoformat() if notification.created_at else None,
    }
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      default=str).encode("utf-8")


def signature(secret: str, body: bytes) -> str:
    """The ``X-Kamflow-Signature`` value: ``sha256=`` and the hex HMAC-SHA256 of ``body``."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirected POST would become a GET or go elsewhere unsigned: treat it as an answer."""

    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def post(url: str, secret: str, body: bytes, notification: Notification,
         timeout: float) -> None:
    """POST one signed body; raise :class:`DeliveryFailed` unless the answer is 2xx."""
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "kamflow-webhook",
        SIGNATURE_HEADER: signature(secret, body),
        DELIVERY_HEADER: str(notification.id),
        EVENT_HEADER: notification.kind,
    })
    try:
        with _opener.open(request, timeout=timeout) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        exc.close()
        raise DeliveryFailed(f"HTTP {exc.code}", permanent=exc.code not in RETRYABLE_STATUSES)
    except (urllib.error.URLError, OSError) as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc
