"""The customer list (``/customers``, ``GET /api/v1/customers``, the CSV export): set-based
queries over the customers a viewer may see (``engine.access.customers``).

- :class:`CustomerFilter`: what to list. Every field is optional; ``segment`` needs a ruleset.
- :func:`customer_page`: one page, sorted by ``code``, ``name``, ``city``, ``region`` or
  ``segment`` (ascending or descending), with keyset pagination: the page is the ``limit`` rows
  after the position named by ``after`` (an opaque cursor from the previous page's ``next``),
  so the last page of 100,000 customers costs what the first does.
- :func:`customer_count`: how many match, counted at most to ``cap`` (``capped``: more).
- :func:`stream_customers`: every matching row, in pages, for exports.

Items are plain JSON-serializable dicts::

    {"code": "C1", "name": "…", "type": "hospital", "region": "浙江省", "city": "杭州市",
     "status": "active", "owner": {"username": "r1", "name": "…"} | None,
     "segment": {"id": "<segment id>", "label": {"zh": "…", "en": "…"}, "color": "#rrggbb"}
                | None,
     "effective_segment": {…same shape…} | None}

``segment`` and ``effective_segment`` are the computed and the effective segment of the
customer in the latest completed run of the filter's ruleset (``None`` without a ruleset, a
run, or a score). Labels and colors come from the ruleset's published definition.

A bad filter or cursor raises :class:`engine.errors.InvalidInput` naming the field.
"""
from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, fields

from sqlalchemy import Connection, case, func, literal, or_, select, tuple_
from sqlalchemy.orm import Session, aliased

from engine import access
from engine.access import Viewer
from engine.customers.names import normalize_name
from engine.definitions.published import published_specs
from engine.errors import InvalidInput, Problem
from engine.evaluation.history import previous_run_id
from engine.models import Customer, CustomerScore, User
from engine.models.people import CUSTOMER_STATUSES

SORTS = ("code", "name", "city", "region", "segment")
DIRECTIONS = ("asc", "desc")
DEFAULT_LIMIT = 50
MAX_LIMIT = 500
COUNT_CAP = 10_000
_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")
_NO_SEGMENT_RANK = 1_000_000       # customers without a score sort after every segment


def _problem(field: str, message: str) -> InvalidInput:
    return InvalidInput([Problem(path=field, message=message)], subject="customer list")


@dataclass(frozen=True)
class CustomerFilter:
    """What to list; ``None`` (or '') means "any".

    ``segment`` is the effective segment in the latest completed run of ``ruleset``;
    ``owner`` a username; ``q`` text found (case-insensitively) in the name, the code or the
    normalized name; ``status`` ``active`` or ``inactive`` (default: both; merged customers
    are never listed)."""

    ruleset: str | None = None
    segment: str | None = None
    region: str | None = None
    city: str | None = None
    owner: str | None = None
    type: str | None = None
    q: str | None = None
    status: str | None = None
    # Drill-down filters of the reports (kept out of the list's form):
    team: str | None = None         # the owner's team
    path: str | None = None         # "RUN:SEGMENT,RUN:SEGMENT": effective segment in each run
    #                                 ("RUN:" = not scored in that run)
    scores: str | None = None       # "RUN:AXIS:LOW:HIGH,...": LOW <= axis score < HIGH
    #                                 (either bound may be left empty)

    @classmethod
    def from_args(cls, args) -> CustomerFilter:
        """A filter from a mapping of strings (query arguments): blanks trimmed, empties
        dropped."""
        values = {}
        for f in fields(cls):
            value = args.get(f.name)
            if isinstance(value, str):
                value = value.strip() or None
            values[f.name] = value
        return cls(**values)

    def as_args(self) -> dict[str, str]:
        """The filter as query arguments (only what is set)."""
        return {f.name: getattr(self, f.name) for f in fields(self)
                if getattr(self, f.name) not in (None, "")}


@dataclass(frozen=True)
class SegmentInfo:
    id: str
    label: dict
    color: str | None

    def as_dict(self) -> dict:
        return {"id": self.id, "label": dict(self.label), "color": self.color}


@dataclass(frozen=True)
class RulesetInfo:
    """A published ruleset as the list shows it: id, title, segments in definition order."""

    id: str
    title: dict
    segments: tuple[SegmentInfo, ...]

    def segment(self, segment_id: str | None) -> dict | None:
        if segment_id is None:
            return None
        for segment in self.segments:
            if segment.id == segment_id:
                return segment.as_dict()
        return {"id": segment_id, "label": {"": segment_id}, "color": None}


def rulesets(connection: Connection) -> list[RulesetInfo]:
    """The published rulesets, by id, with their segments' labels and colors."""
    with Session(bind=connection) as session:
        specs = published_specs(session, "ruleset")
    return [RulesetInfo(spec.id, dict(spec.title.by_locale),
                        tuple(SegmentInfo(s.id, dict(s.label.by_locale),
                                          s.color if s.color and _COLOR.match(s.color) else None)
                              for s in spec.segments))
            for spec in specs]


def default_ruleset(connection: Connection) -> str | None:
    """The ruleset a list shows when none is chosen: the first published one, by id."""
    known = rulesets(connection)
    return known[0].id if known else None


@dataclass(frozen=True)
class Page:
    items: list[dict]
    next: str | None

    def as_dict(self) -> dict:
        return {"items": self.items, "next": self.next}


# --- the query -----------------------------------------------------------------------------

CUSTOMERS = Customer.__table__
USERS = User.__table__
SCORES = CustomerScore.__table__


@dataclass(frozen=True)
class _Query:
    """The parts of a list query: the select with its joins and conditions, its sort key."""

    select: object
    key: object
    ruleset: RulesetInfo | None
    # For the segment sort: the joined scores and each segment's rank (definition order).
    score: object = None
    ranks: dict | None = None


def _ruleset(connection: Connection, filters: CustomerFilter) -> RulesetInfo | None:
    if not filters.ruleset:
        if filters.segment:
            raise _problem("segment", "choose a ruleset to filter by segment")
        return None
    known = {r.id: r for r in rulesets(connection)}
    ruleset = known.get(filters.ruleset)
    if ruleset is None:
        listed = ", ".join(known) or "none is published"
        raise _problem("ruleset", f"unknown ruleset {filters.ruleset!r} (known: {listed})")
    if filters.segment and filters.segment not in {s.id for s in ruleset.segments}:
        listed = ", ".join(s.id for s in ruleset.segments)
        raise _problem("segment", f"unknown segment {filters.segment!r} of ruleset "
                                  f"{ruleset.id} (known: {listed})")
    return ruleset


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


_DRILL_ITEMS = 12
_AXIS = re.compile(r"^[A-Za-z0-9_]{1,100}$")


def _number(text: str, field: str) -> float | None:
    if text == "":
        return None
    try:
        value = float(text)
    except ValueError:
        raise _problem(field, f"{text!r} is not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise _problem(field, f"{text!r} is not a number")
    return value


def _drill_conditions(connection: Connection, filters: CustomerFilter) -> list:
    """The conditions of the ``path`` and ``scores`` filters (EXISTS on the stored scores)."""
    from engine.reports.scores_sql import axis_score

    c, conditions = CUSTOMERS, []
    if filters.path:
        items = filters.path.split(",")
        if len(items) > _DRILL_ITEMS:
            raise _problem("path", f"at most {_DRILL_ITEMS} runs")
        for item in items:
            run, sep, segment = item.partition(":")
            if not sep or not run.isdigit() or len(segment) > 100:
                raise _problem("path", "expected RUN:SEGMENT items separated by commas")
            scored = select(SCORES.c.id).where(SCORES.c.customer_id == c.c.id,
                                               SCORES.c.run_id == int(run))
            if segment:
                conditions.append(scored.where(SCORES.c.effective_segment == segment).exists())
            else:
                conditions.append(~scored.exists())
    if filters.scores:
        items = filters.scores.split(",")
        if len(items) > _DRILL_ITEMS:
            raise _problem("scores", f"at most {_DRILL_ITEMS} ranges")
        for item in items:
            parts = item.split(":")
            if len(parts) != 4 or not parts[0].isdigit() or not _AXIS.match(parts[1]):
                raise _problem("scores", "expected RUN:AXIS:LOW:HIGH items separated by commas")
            low, high = _number(parts[2], "scores"), _number(parts[3], "scores")
            score = axis_score(connection.dialect.name, SCORES.c.axes, parts[1])
            bounds = [score.is_not(None)]
            if low is not None:
                bounds.append(score >= low)
            if high is not None:
                bounds.append(score < high)
            conditions.append(select(SCORES.c.id).where(
                SCORES.c.customer_id == c.c.id, SCORES.c.run_id == int(parts[0]),
                *bounds).exists())
    return conditions


def _build(connection: Connection, viewer: Viewer, filters: CustomerFilter,
           sort: str = "code", columns: bool = True) -> _Query:
    if sort not in SORTS:
        raise _problem("sort", f"unknown sort {sort!r} (one of {', '.join(SORTS)})")
    if filters.status is not None and filters.status not in CUSTOMER_STATUSES:
        raise _problem("status", f"unknown status {filters.status!r} "
                                 f"(one of {', '.join(CUSTOMER_STATUSES)})")
    ruleset = _ruleset(connection, filters)
    if sort == "segment" and ruleset is None:
        raise _problem("sort", "choose a ruleset to sort by segment")
    c = CUSTOMERS
    owner = aliased(USERS, name="owner")
    score = aliased(SCORES, name="score")
    run_id = previous_run_id(connection, ruleset.id) if ruleset else None

    conditions = [access.customers(viewer)]
    if filters.status:
        conditions.append(c.c.status == filters.status)
    else:
        conditions.append(c.c.status.in_(CUSTOMER_STATUSES))
    for name in ("region", "city", "type"):
        value = getattr(filters, name)
        if value:
            conditions.append(c.c[name] == value)
    if filters.owner:
        conditions.append(c.c.owner_id.in_(
            select(USERS.c.id).where(USERS.c.username == filters.owner).scalar_subquery()))
    if filters.team:
        conditions.append(c.c.owner_id.in_(
            select(USERS.c.id).where(USERS.c.team == filters.team).scalar_subquery()))
    conditions.extend(_drill_conditions(connection, filters))
    if filters.q:
        text = filters.q.lower()
        matches = [func.lower(c.c.name).like(_like(text), escape="\\"),
                   func.lower(c.c.code).like(_like(text), escape="\\")]
        normalized = normalize_name(filters.q)
        if normalized:
            matches.append(func.lower(c.c.normalized_name).like(_like(normalized.lower()),
                                                              escape="\\"))
        conditions.append(or_(*matches))

    join_scores = ruleset is not None and run_id is not None and (
        columns or filters.segment or sort == "segment")
    source = c
    if join_scores:
        source = source.outerjoin(score, (score.c.customer_id == c.c.id)
                                  & (score.c.run_id == run_id))
    if filters.segment:
        if run_id is None:
            conditions.append(literal(False))
        else:
            conditions.append(score.c.effective_segment == filters.segment)

    if sort == "segment":
        if join_scores:
            ranks = {s.id: i for i, s in enumerate(ruleset.segments)}
            key = case(ranks, value=score.c.effective_segment, else_=_NO_SEGMENT_RANK) \
                if ranks else literal(_NO_SEGMENT_RANK)
        else:
            key = literal(_NO_SEGMENT_RANK)
    elif sort in ("city", "region"):
        key = func.coalesce(c.c[sort], "")
    else:
        key = c.c[sort]

    if columns:
        source = source.outerjoin(owner, owner.c.id == c.c.owner_id)
        picked = [c.c.id, c.c.code, c.c.name, c.c.type, c.c.region, c.c.city, c.c.status,
                  owner.c.username.label("owner_username"), owner.c.name.label("owner_name"),
                  key.label("sort_key")]
        if join_scores:
            picked += [score.c.segment, score.c.effective_segment]
        query = select(*picked).select_from(source)
    else:
        query = select(c.c.id).select_from(source)
    ranks = ({seg.id: i for i, seg in enumerate(ruleset.segments)}
             if sort == "segment" and join_scores else None)
    return _Query(query.where(*conditions), key, ruleset, score if join_scores else None, ranks)


# --- cursors -------------------------------------------------------------------------------

def encode_cursor(sort: str, direction: str, key, row_id: int) -> str:
    data = json.dumps({"s": sort, "d": direction, "k": key, "i": row_id},
                      separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(data.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str, direction: str) -> tuple[object, int]:
    """The (sort key, id) position of ``cursor``, which must come from a page of the same
    sort; anything else is refused as invalid input."""
    bad = _problem("after", "invalid cursor: use the 'next' value of the previous page")
    if not isinstance(cursor, str) or len(cursor) > 2000:
        raise bad
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw.decode())
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise bad from None
    if not isinstance(data, dict) or set(data) != {"s", "d", "k", "i"}:
        raise bad
    row_id, key = data["i"], data["k"]
    if type(row_id) is not int:
        raise bad
    if data["s"] != sort or data["d"] != direction:
        raise _problem("after", "this cursor belongs to another sort order: start again "
                                "from the first page")
    wanted = int if sort == "segment" else str
    if type(key) is not wanted:
        raise bad
    return key, row_id


# --- public functions ----------------------------------------------------------------------

def _item(row, ruleset: RulesetInfo | None) -> dict:
    mapping = row._mapping
    owner = None
    if mapping["owner_username"] is not None:
        owner = {"username": mapping["owner_username"], "name": mapping["owner_name"]}
    segment = mapping.get("segment") if ruleset else None
    effective = mapping.get("effective_segment") if ruleset else None
    return {"code": mapping["code"], "name": mapping["name"], "type": mapping["type"],
            "region": mapping["region"], "city": mapping["city"], "status": mapping["status"],
            "owner": owner,
            "segment": ruleset.segment(segment) if ruleset else None,
            "effective_segment": ruleset.segment(effective) if ruleset else None}


def _split_sort(sort: str) -> tuple[str, str]:
    """``"name"`` → (name, asc); ``"-name"`` → (name, desc); also ``"name:desc"``."""
    if not isinstance(sort, str) or not sort:
        return "code", "asc"
    if sort.startswith("-"):
        return sort[1:], "desc"
    if ":" in sort:
        name, _, direction = sort.partition(":")
        if direction not in DIRECTIONS:
            raise _problem("sort", f"unknown direction {direction!r} (asc or desc)")
        return name, direction
    return sort, "asc"


def customer_page(connection: Connection, viewer: Viewer, filters: CustomerFilter,
                  sort: str = "code", after: str | None = None,
                  limit: int = DEFAULT_LIMIT) -> Page:
    """One page of the customers ``viewer`` may see that match ``filters``.

    ``sort`` is one of :data:`SORTS`, prefixed with ``-`` (or suffixed ``:desc``) for
    descending; ties are broken by the customer's internal id. ``after`` is the ``next``
    cursor of the previous page (``None``: the first page); ``limit`` 1–500. Returns a
    :class:`Page` (``items``, ``next``: the cursor of the following page, ``None`` on the last
    one; ``as_dict()`` gives ``{"items": …, "next": …}`` for the API)."""
    name, direction = _split_sort(sort)
    if type(limit) is not int or not 1 <= limit <= MAX_LIMIT:
        raise _problem("limit", f"limit must be a whole number from 1 to {MAX_LIMIT}")
    query = _build(connection, viewer, filters, name)
    c = CUSTOMERS
    position = decode_cursor(after, name, direction) if after else None
    if query.ranks:
        rows = _segment_rows(connection, query, filters, direction, position, limit + 1)
    else:
        rows = _sorted_rows(connection, query, direction, position, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    items = [_item(row, query.ruleset) for row in rows]
    next_cursor = None
    if more and rows:
        last = rows[-1]._mapping
        key = last["sort_key"]
        next_cursor = encode_cursor(name, direction, int(key) if name == "segment" else key,
                                    last["id"])
    return Page(items, next_cursor)


def _sorted_rows(connection: Connection, query: _Query, direction: str, position,
                 limit: int) -> list:
    """The rows after ``position`` in (sort key, id) order: one keyset query."""
    c = CUSTOMERS
    statement = query.select
    if position is not None:
        key, row_id = position
        position = tuple_(query.key, c.c.id)
        bound = tuple_(literal(key), literal(row_id))
        statement = statement.where(position > bound if direction == "asc" else position < bound)
    if direction == "asc":
        statement = statement.order_by(query.key.asc(), c.c.id.asc())
    else:
        statement = statement.order_by(query.key.desc(), c.c.id.desc())
    return connection.execute(statement.limit(limit)).fetchall()


def _segment_rows(connection: Connection, query: _Query, filters: CustomerFilter,
                  direction: str, position, limit: int) -> list:
    """The rows after ``position`` in (segment rank, id) order, one segment at a time: each
    segment's customers are read in id order (no sort of the whole list), the customers
    without a known segment last."""
    c, score = CUSTOMERS, query.score
    known = list(query.ranks)
    groups = [(rank, score.c.effective_segment == seg) for seg, rank in query.ranks.items()]
    groups.append((_NO_SEGMENT_RANK, or_(score.c.effective_segment.is_(None),
                                         score.c.effective_segment.not_in(known))))
    if filters.segment:
        groups = [(rank, condition) for rank, condition in groups
                  if rank == query.ranks.get(filters.segment)]
    descending = direction == "desc"
    if descending:
        groups.reverse()
    rows: list = []
    for rank, condition in groups:
        statement = query.select.where(condition)
        if position is not None:
            cursor_rank, row_id = position
            if (rank < cursor_rank) if not descending else (rank > cursor_rank):
                continue
            if rank == cursor_rank:
                statement = statement.where(c.c.id < row_id if descending else c.c.id > row_id)
        statement = statement.order_by(c.c.id.desc() if descending else c.c.id.asc())
        rows.extend(connection.execute(statement.limit(limit - len(rows))).fetchall())
        if len(rows) >= limit:
            break
    return rows


def check_filters(connection: Connection, viewer: Viewer, filters: CustomerFilter,
                  sort: str = "code") -> None:
    """Raise :class:`InvalidInput` if ``filters`` or ``sort`` are not valid (before a stream
    starts, whose errors could no longer be answered)."""
    name, _direction = _split_sort(sort)
    _build(connection, viewer, filters, name)


def customer_count(connection: Connection, viewer: Viewer, filters: CustomerFilter,
                   cap: int = COUNT_CAP) -> tuple[int, bool]:
    """How many customers match: ``(n, False)``, or ``(cap, True)`` when more than ``cap``
    do (counting stops at ``cap + 1`` rows so that it stays fast)."""
    query = _build(connection, viewer, filters, columns=False)
    limited = query.select.limit(cap + 1).subquery()
    n = connection.scalar(select(func.count()).select_from(limited))
    return (cap, True) if n > cap else (n, False)


def stream_customers(connection: Connection, viewer: Viewer, filters: CustomerFilter,
                     sort: str = "code", batch: int = MAX_LIMIT) -> Iterator[dict]:
    """Every matching customer as an item of :func:`customer_page`, fetched ``batch`` rows
    at a time (keyset), for exports."""
    after = None
    while True:
        page = customer_page(connection, viewer, filters, sort, after, batch)
        yield from page.items
        if page.next is None:
            return
        after = page.next
