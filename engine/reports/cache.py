"""Report figures kept for the next reader (table ``report_results``).

A report over 100,000 customers and eight stored runs costs seconds of SQL; the quarterly review
opens the same few pages many times while the data stands still. ``cached`` answers a report
from the figures computed last time when nothing they depend on has changed since, and computes
them (and keeps them) otherwise.

- **Key**: the report's name, its arguments (runs resolved to ids, period, view...) and the
  viewer's scope — every admin shares one; any other viewer has their own, so the permission
  policy stays the one that computed the figures.
- **Stamp**: a fingerprint of the data, read in one statement from primary keys and indexed
  columns: the latest audit entry of a change (imports, merges, profile and user edits,
  publications, task moves made in the app...; not sign-ins and other ``QUIET_ACTIONS``),
  evaluation runs started and finished, segment overrides; and for the reports that read the
  reps' work (SOP compliance, conversion, KPIs), tasks created and completed and visits
  recorded. Figures whose stamp differs are computed again.
- **Age**: kept figures are used for at most ``Settings.report_keep_seconds`` (a change made
  outside the app, straight in the database, shows after that at the latest); 0 keeps nothing.
  The page says when its figures were computed and offers to compute them again.

Payloads are JSON; dates, tuples and the report dataclasses in ``TYPES`` are tagged so
that a kept result reads back equal to the computed one. Keeping is best effort: a failure to
read or store a row is logged and the figures are computed as if nothing were kept.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Generic, Iterator, TypeVar

from sqlalchemy import Connection, delete, func, not_, or_, select
from sqlalchemy.exc import SQLAlchemyError

from engine.access import Viewer
from engine.models import (AuditEntry, EvaluationRun, ReportResult, SegmentOverride, Task,
                           Visit, utcnow)
from engine.reports.compliance import Period

log = logging.getLogger(__name__)
T = TypeVar("T")
TYPES: dict[str, type] = {"Period": Period}     # the dataclasses a payload may hold
STORE_WAIT_MS = 250
# Audit entries of actions that change nothing a report reads (signing in, tokens, jobs,
# notifications, the scheduler's bookkeeping, pins, passwords, drafts): not part of the stamp.
QUIET_ACTIONS = ("login.", "token.", "job.", "notification.", "scheduler.", "golden.",
                 "user.password", "definition.version")
# Actions on the reps' work, which only reports that read it (``work=True``) count.
WORK_ACTIONS = ("task.", "tasks.", "workflow.")


@dataclass(frozen=True)
class Cached(Generic[T]):
    """A report's figures, when they were computed and whether they came from the store."""

    value: T
    computed_at: dt.datetime
    stored: bool


def scope(viewer: Viewer) -> str:
    """Whose view the figures are: one for every admin, else the viewer's own."""
    return "admin" if viewer.is_admin else f"{viewer.role}:{viewer.id}"


def data_stamp(connection: Connection, work: bool = True) -> str:
    """A fingerprint of what reports read, from maxima over primary keys and indexed columns.

    ``work``: the report reads the reps' work too (tasks done, visits recorded); without it,
    completing a task or recording a visit does not count as a change."""
    quiet_actions = QUIET_ACTIONS if work else QUIET_ACTIONS + WORK_ACTIONS
    quiet = or_(*[AuditEntry.action.startswith(action) for action in quiet_actions])
    latest_change = (select(AuditEntry.id).where(not_(quiet))
                     .order_by(AuditEntry.id.desc()).limit(1))
    parts = [latest_change, select(func.max(EvaluationRun.id)),
             select(func.count(EvaluationRun.finished_at)), select(func.max(SegmentOverride.id))]
    if work:
        parts += [select(func.max(Task.id)), select(func.max(Task.completed_at)),
                  select(func.max(Visit.id))]
    row = connection.execute(select(*[part.scalar_subquery() for part in parts])).one()
    return "/".join("" if value is None else str(value) for value in row)


def report_key(report: str, viewer: Viewer, arguments: dict) -> str:
    text = json.dumps({"report": report, "scope": scope(viewer), "arguments": encode(arguments)},
                      sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def cached(connection: Connection, report: str, viewer: Viewer, arguments: dict,
           compute: Callable[[], T], *, keep_seconds: float, fresh: bool = False,
           work: bool = True) -> Cached[T]:
    """``compute()``'s figures, from the store when kept under the same key and stamp less than
    ``keep_seconds`` ago (and not ``fresh``); computed and stored otherwise. ``work``: the
    figures depend on tasks and visits (``data_stamp``)."""
    if keep_seconds <= 0:
        return Cached(compute(), utcnow(), stored=False)
    key = report_key(report, viewer, arguments)
    stamp = data_stamp(connection, work)
    if not fresh:
        found = _read(connection, key, stamp, keep_seconds)
        if found is not None:
            return found
    started = time.perf_counter()
    value = compute()
    computed_at = utcnow()
    _store(connection, ReportResult(key=key, report=report, stamp=stamp,
                                    computed_at=computed_at,
                                    seconds=time.perf_counter() - started,
                                    payload=json.dumps(encode(value), ensure_ascii=False)),
           keep_seconds)
    return Cached(value, computed_at, stored=False)


def _read(connection: Connection, key: str, stamp: str, keep_seconds: float) -> Cached | None:
    table = ReportResult.__table__
    since = utcnow() - dt.timedelta(seconds=keep_seconds)
    try:
        with connection.begin_nested():     # a failure must not end the reader's transaction
            row = connection.execute(select(table.c.payload, table.c.computed_at).where(
                table.c.key == key, table.c.stamp == stamp,
                table.c.computed_at > since)).first()
        if row is None:
            return None
        return Cached(loads(row.payload), row.computed_at, stored=True)
    except (SQLAlchemyError, ValueError, KeyError, TypeError) as error:
        log.warning("report %s: kept figures could not be read (%s); computing them", key,
                    error)
        return None


def _store(connection: Connection, row: ReportResult, keep_seconds: float) -> None:
    """Replace the key's row and drop rows past their age, in a transaction of its own that
    waits at most ``STORE_WAIT_MS`` for a lock (an import holding SQLite's write lock must not
    hold up a report page)."""
    table = ReportResult.__table__
    since = row.computed_at - dt.timedelta(seconds=keep_seconds)
    values = {c.name: getattr(row, c.name) for c in table.columns}
    try:
        with connection.engine.connect() as writer, _short_waits(writer), writer.begin():
            if writer.dialect.name == "postgresql":
                writer.exec_driver_sql(f"SET LOCAL lock_timeout = {STORE_WAIT_MS}")
            writer.execute(delete(table).where(
                (table.c.key == row.key) | (table.c.computed_at <= since)))
            writer.execute(table.insert().values(**values))
    except SQLAlchemyError as error:     # e.g. another reader stored the same key just now
        log.warning("report %s: figures not kept (%s)", row.report,
                    str(error).splitlines()[0])


@contextmanager
def _short_waits(connection: Connection) -> Iterator[None]:
    """On SQLite, the connection's busy timeout is ``STORE_WAIT_MS`` while in the block."""
    if connection.dialect.name != "sqlite":
        yield
        return
    sqlite = connection.connection.driver_connection     # outside any transaction
    before = sqlite.execute("PRAGMA busy_timeout").fetchone()[0]
    sqlite.execute(f"PRAGMA busy_timeout = {STORE_WAIT_MS}")
    try:
        yield
    finally:
        sqlite.execute(f"PRAGMA busy_timeout = {int(before)}")


# --- the payload codec -----------------------------------------------------------------------

def encode(value: Any) -> Any:
    """``value`` as JSON-ready data; what JSON cannot tell apart is tagged."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else {"__float__":
                                                                           repr(value)}
    if isinstance(value, dt.datetime):
        return {"__datetime__": value.isoformat()}
    if isinstance(value, dt.date):
        return {"__date__": value.isoformat()}
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("__") for k in value):
            return {k: encode(v) for k, v in value.items()}
        return {"__items__": [[encode(k), encode(v)] for k, v in value.items()]}
    if dataclasses.is_dataclass(value) and TYPES.get(type(value).__name__) is type(value):
        return {"__type__": type(value).__name__,
                "fields": {f.name: encode(getattr(value, f.name))
                           for f in dataclasses.fields(value)}}
    raise TypeError(f"a report result cannot hold {type(value).__name__}")


def loads(text: str) -> Any:
    """The inverse of ``json.dumps(encode(value))``: each object untagged as it is read."""
    return json.loads(text, object_hook=_untag)


def _untag(value: dict) -> Any:
    """One JSON object, its members already decoded, as what ``encode`` tagged it from."""
    if len(value) > 2 or not value:
        return value
    tag = next(iter(value))
    if tag == "__datetime__":
        return dt.datetime.fromisoformat(value[tag])
    if tag == "__date__":
        return dt.date.fromisoformat(value[tag])
    if tag == "__tuple__":
        return tuple(value[tag])
    if tag == "__float__":
        return float(value[tag])
    if tag == "__items__":
        return {_hashable(k): v for k, v in value[tag]}
    if tag == "__type__":
        return TYPES[value[tag]](**value["fields"])
    return value


def _hashable(key: Any) -> Any:
    return tuple(key) if isinstance(key, list) else key
