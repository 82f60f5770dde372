"""``/customers``: the list of the customers the user may see, with filters, sorting, keyset
pages and a capped count; ``/customers/export.csv``: what is filtered, as CSV.

The queries are ``engine.customers.listing``'s (visibility through ``engine.access``); this
module only reads the query arguments and renders. Filters travel in the URL (GET), so a
filtered page can be bookmarked and works without JavaScript; with htmx, changing a filter
replaces the list in place (the server answers the partial when htmx asks for it).
"""
from __future__ import annotations

import threading
import time
from urllib.parse import quote

from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from engine import access
from engine.access import Viewer
from engine.customers import listing
from engine.customers.listing import CustomerFilter
from engine.errors import InvalidInput
from engine.models import Customer, User
from engine.spreadsheet import cell
from engine.text import pick_text
from web.database import get_engine
from web.downloads import csv_download
from web.i18n import current_locale

bp = Blueprint("customers", __name__)

PAGE_SIZE = 50
CHOICES_LIMIT = 500          # distinct regions, cities, types offered as suggestions
COLUMNS = (                  # sortable columns of the table: (sort key, heading)
    ("code", _l("Code")),
    ("name", _l("Name")),
    ("region", _l("Region")),
    ("city", _l("City")),
    ("segment", _l("Segment")),
)
STATUS_LABELS = {"active": _l("Active"), "inactive": _l("Inactive")}
FIELD_LABELS = {"ruleset": _l("Ruleset"), "segment": _l("Segment"), "region": _l("Region"),
                "city": _l("City"), "owner": _l("Owner"), "type": _l("Type"),
                "q": _l("Search"), "status": _l("Status"), "sort": _l("Sort"),
                "after": _l("Page"), "limit": _l("Page size"), "team": _l("Team"),
                "path": _l("Segments in runs"), "scores": _l("Score range")}
EXPORT_HEADER = ("code", "name", "type", "region", "city", "owner", "owner_name", "status",
                 "segment", "segment_label", "effective_segment", "effective_segment_label")


def customer_url(code: str) -> str:
    """The customer page of ``code`` (``customer.show`` once that page exists)."""
    if "customer.show" in current_app.view_functions:
        return url_for("customer.show", code=code)
    return "/customers/" + quote(code, safe="")


def _filters() -> CustomerFilter:
    return CustomerFilter.from_args(request.args)


def _with_default_ruleset(connection, filters: CustomerFilter) -> CustomerFilter:
    """The filter, with the default ruleset when none is chosen (segments need one)."""
    if filters.ruleset or "ruleset" in request.args:
        return filters
    default = listing.default_ruleset(connection)
    if default is None:
        return filters
    values = {**filters.__dict__, "ruleset": default}
    return CustomerFilter(**values)


# The filter choices read every visible customer (three DISTINCT scans: most of the page's
# time at 100,000 customers), and change only with imports: kept per worker process for a
# minute (``FILTER_CHOICES_SECONDS``; 0 under TESTING).
CHOICES_SECONDS = 60.0
_choices_cache: dict[tuple, tuple[float, dict]] = {}
_choices_lock = threading.Lock()


def _cached_choices(connection, viewer: Viewer) -> dict:
    seconds = current_app.config.get("FILTER_CHOICES_SECONDS",
                                      0.0 if current_app.testing else CHOICES_SECONDS)
    if seconds <= 0:
        return _choices(connection, viewer)
    key = (current_app.config["DATABASE_URL"], viewer)
    now = time.monotonic()
    with _choices_lock:
        found = _choices_cache.get(key)
    if found is not None and found[0] > now:
        return found[1]
    choices = _choices(connection, viewer)
    with _choices_lock:
        if len(_choices_cache) > 1000:
            _choices_cache.clear()
        _choices_cache[key] = (now + seconds, choices)
    return choices


def _choices(connection, viewer: Viewer) -> dict:
    """What the filter form offers: owners, types, regions, cities the viewer may see."""
    visible = access.customers(viewer)

    def distinct_values(column):
        return [value for value in connection.scalars(
            select(column).distinct().where(visible, column.is_not(None))
            .order_by(column).limit(CHOICES_LIMIT))]

    owners = connection.execute(select(User.username, User.name).where(access.users(viewer))
                                .order_by(User.username).limit(CHOICES_LIMIT)).all()
    return {"owners": owners, "types": distinct_values(Customer.type),
            "regions": distinct_values(Customer.region),
            "cities": distinct_values(Customer.city)}


def _errors(error: InvalidInput) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for problem in error.problems:
        errors.setdefault(problem.path or "q", []).append(problem.message)
    return errors


def _sort_arg() -> str:
    return request.args.get("sort", "code").strip() or "code"


def _sort_links(filters: CustomerFilter, sort: str) -> dict[str, dict]:
    """For each sortable column: the URL that sorts by it (toggling the direction when it is
    the current sort) and its aria-sort state."""
    current, descending = (sort[1:], True) if sort.startswith("-") else (sort, False)
    links = {}
    for key, _label in COLUMNS:
        active = key == current
        target = f"-{key}" if active and not descending else key
        links[key] = {
            "url": url_for("customers.index", **filters.as_args(), sort=target),
            "state": ("descending" if descending else "ascending") if active else "none",
        }
    return links


def _partial_requested() -> bool:
    return (request.headers.get("HX-Request") == "true"
            and request.headers.get("HX-Target") == "customer-list"
            and request.headers.get("HX-History-Restore-Request") != "true")


@bp.get("/customers")
@login_required
def index():
    viewer = Viewer.of(current_user)
    sort = _sort_arg()
    after = request.args.get("after") or None
    errors: dict[str, list[str]] = {}
    page, count = None, None
    with get_engine().connect() as connection:
        filters = _with_default_ruleset(connection, _filters())
        known_rulesets = listing.rulesets(connection)
        try:
            page = listing.customer_page(connection, viewer, filters, sort, after, PAGE_SIZE)
            count = listing.customer_count(connection, viewer, filters)
        except InvalidInput as error:
            errors = _errors(error)
        choices = _cached_choices(connection, viewer)
    ruleset = next((r for r in known_rulesets if r.id == filters.ruleset), None)
    context = dict(
        page=page, count=count, filters=filters, sort=sort, after=after, errors=errors,
        rulesets=known_rulesets, ruleset=ruleset, choices=choices, columns=COLUMNS,
        sort_links=_sort_links(filters, sort) if not errors.get("sort") else
        _sort_links(filters, "code"), status_labels=STATUS_LABELS, field_labels=FIELD_LABELS,
        customer_url=customer_url, cap=listing.COUNT_CAP,
        export_url=url_for("customers.export", **filters.as_args(),
                           **({"sort": sort} if not errors else {})),
        first_url=url_for("customers.index", **filters.as_args(), sort=sort),
        next_url=(url_for("customers.index", **filters.as_args(), sort=sort, after=page.next)
                  if page and page.next else None))
    status = 400 if errors else 200
    template = "customers/list_body.html" if _partial_requested() else "customers/list.html"
    response = Response(render_template(template, **context), status=status)
    response.headers["Vary"] = "HX-Request, HX-Target"
    return response


@bp.get("/customers/export.csv")
@login_required
def export():
    viewer = Viewer.of(current_user)
    sort = _sort_arg()
    locale = current_locale()
    engine = get_engine()
    with engine.connect() as connection:
        filters = _with_default_ruleset(connection, _filters())
        try:
            listing.check_filters(connection, viewer, filters, sort)
        except InvalidInput as error:
            message = "; ".join(f"{FIELD_LABELS.get(p.path, p.path)}: {p.message}"
                                for p in error.problems)
            return Response(message + "\n", status=400, mimetype="text/plain")

    def label(segment) -> str:
        return pick_text(segment["label"], locale) if segment else ""

    def rows():
        with engine.connect() as connection:
            for item in listing.stream_customers(connection, viewer, filters, sort):
                owner = item["owner"] or {}
                segment, effective = item["segment"], item["effective_segment"]
                yield [cell(value) for value in (
                    item["code"], item["name"], item["type"], item["region"], item["city"],
                    owner.get("username"), owner.get("name"), item["status"],
                    segment and segment["id"], label(segment),
                    effective and effective["id"], label(effective))]

    return csv_download(EXPORT_HEADER, rows(), "customers.csv")
