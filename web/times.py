"""Instants as users read them: in the configured time zone (``TIMEZONE``), to the minute."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app


def zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def local_time(moment: dt.datetime | None) -> str:
    """``moment`` in the configured time zone, to the minute ('' for none; a naive value is
    read as UTC)."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(zone()).strftime("%Y-%m-%d %H:%M")
