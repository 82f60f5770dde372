"""Query arguments of the API: page sizes, keyset cursors, dates; a malformed one is a 400."""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import json

from flask import request

from web.api.errors import ApiError, plain, respond  # noqa: F401 (re-exported)

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


def limit() -> int:
    """``limit``: 1 to 500, default 50."""
    raw = request.args.get("limit", "").strip()
    if not raw:
        return DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise ApiError(400, f"limit must be a whole number from 1 to {MAX_LIMIT}")
    return int(raw)


def day(name: str) -> dt.date | None:
    """A ``YYYY-MM-DD`` argument, or ``None`` when absent."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ApiError(400, f"{name} must be a date as YYYY-MM-DD") from None


def text(name: str) -> str | None:
    raw = request.args.get(name, "").strip()
    return raw or None


def encode_cursor(kind: str, *position) -> str:
    """An opaque cursor for the position after which the next page starts."""
    data = json.dumps([kind, *position], separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(data.encode()).decode().rstrip("=")


def decode_cursor(kind: str, *types) -> tuple | None:
    """The position of the ``after`` cursor of a ``kind`` listing (``None``: the first page);
    a cursor that is not such a listing's ``next`` is a 400."""
    raw = request.args.get("after", "").strip()
    if not raw:
        return None
    bad = ApiError(400, "invalid cursor: use the 'next' value of the previous page")
    if len(raw) > 2000:
        raise bad
    try:
        data = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode())
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise bad from None
    if (not isinstance(data, list) or len(data) != len(types) + 1 or data[0] != kind
            or not all(type(value) is wanted for value, wanted in zip(data[1:], types))):
        raise bad
    return tuple(data[1:])
