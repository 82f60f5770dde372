"""What every report page shares: reading the filters (problems at their field, answered with
400), the viewer, the filter form's choices (only what the viewer may see), rendering the page,
the drill-down URL to the customer list, and the CSV / XLSX export of a report's table.

A report view goes::

    with get_engine().connect() as connection:
        state = open_report(connection)            # viewer, filters (runs resolved), errors
        extra = state.int_arg("n", 4, 2, 12)       # a report's own argument, checked
        if state.ok:
            table = engine_function(connection, state.viewer, state.filters, ...)
        ...
    fmt = state.export_format()
    if fmt and state.ok:
        return export_response(headers, rows, "name", fmt)
    return render_report("reports/x.html", state, title=..., ...)
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from flask import Response, current_app, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import Connection, select

from engine import access
from engine.access import Viewer
from engine.customers import listing
from engine.errors import InvalidInput
from engine.models import Customer, EvaluationRun, User
from engine.reports import cache
from engine.reports.filters import ReportFilter, resolve_runs
from engine.spreadsheet import cell, text_cell
from web.times import local_time

CHOICES_LIMIT = 500
RUN_CHOICES = 40
FORMATS = ("csv", "xlsx")
FIELD_LABELS = {
    "ruleset": _l("Ruleset"), "run": _l("Run"), "run_b": _l("Compare with run"),
    "region": _l("Region"), "city": _l("City"), "team": _l("Team"), "owner": _l("Owner"),
    "type": _l("Customer type"), "format": _l("Export format"),
}
_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


def current_viewer() -> Viewer:
    return Viewer.of(current_user)


def problems_by_field(error: InvalidInput) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for problem in error.problems:
        errors.setdefault(problem.path or "", []).append(problem.message)
    return errors


@dataclass
class ReportState:
    """A report request: the viewer, its filters (runs resolved when valid) and the problems
    found in the query, by field."""

    connection: Connection
    viewer: Viewer
    filters: ReportFilter
    errors: dict[str, list[str]] = field(default_factory=dict)
    rulesets: list = field(default_factory=list)
    kept_at: dt.datetime | None = None      # when the oldest kept figures shown were computed

    @property
    def ok(self) -> bool:
        return not self.errors

    def keep(self, report: str, arguments: dict, compute, work: bool = False):
        """``compute()``'s figures for this viewer, filters and ``arguments``, read from the
        store when kept from unchanged data (``engine.reports.cache``; ``work``: the figures
        depend on tasks and visits too); ``?fresh=1`` computes them again."""
        found = cache.cached(self.connection, report, self.viewer,
                             {"filters": self.filters.args(), **arguments}, compute,
                             keep_seconds=current_app.config["REPORT_KEEP_SECONDS"],
                             fresh=request.args.get("fresh") == "1", work=work)
        if found.stored and (self.kept_at is None or found.computed_at < self.kept_at):
            self.kept_at = found.computed_at
        return found.value

    def fresh_url(self) -> str:
        """This page with its figures computed again."""
        args = request.args.to_dict()
        args["fresh"] = "1"
        return url_for(request.endpoint, **args)

    def add_error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    @property
    def ruleset(self):
        """The chosen ruleset's ``RulesetInfo`` (labels and colors of its segments)."""
        return next((r for r in self.rulesets if r.id == self.filters.ruleset), None)

    def segments(self) -> list[dict]:
        """The ruleset's segments in definition order: id, label, color."""
        ruleset = self.ruleset
        return [s.as_dict() for s in ruleset.segments] if ruleset else []

    def int_arg(self, name: str, default: int, low: int, high: int) -> int:
        """An integer query argument between ``low`` and ``high`` (a problem at ``name``
        otherwise)."""
        text = (request.args.get(name) or "").strip()
        if not text:
            return default
        if not text.isdigit() or not low <= int(text) <= high:
            self.add_error(name, f"a whole number from {low} to {high}")
            return default
        return int(text)

    def choice_arg(self, name: str, choices: Sequence[str], default: str) -> str:
        text = (request.args.get(name) or "").strip()
        if not text:
            return default
        if text not in choices:
            self.add_error(name, f"one of {', '.join(choices)}")
            return default
        return text

    def export_format(self) -> str | None:
        """``csv`` or ``xlsx`` when an export is asked for (``?format=``), else None."""
        text = (request.args.get("format") or "").strip()
        if not text:
            return None
        if text not in FORMATS:
            self.add_error("format", f"one of {', '.join(FORMATS)}")
            return None
        return text


def open_report(connection: Connection) -> ReportState:
    """Read the filters of this request, check them and resolve the runs."""
    viewer = current_viewer()
    state = ReportState(connection, viewer, ReportFilter(), rulesets=listing.rulesets(connection))
    try:
        filters = ReportFilter.from_args(request.args)
    except InvalidInput as error:
        state.errors.update(problems_by_field(error))
        # Keep what can be read so the form shows it again.
        filters = ReportFilter(**{k: (request.args.get(k) or "").strip()[:200] or None
                                  for k in ("ruleset", "region", "city", "team", "owner",
                                            "type")})
        state.filters = filters
        return state
    if filters.ruleset and filters.ruleset not in {r.id for r in state.rulesets}:
        state.add_error("ruleset", f"unknown ruleset {filters.ruleset!r}")
        state.filters = filters
        return state
    if not filters.ruleset and state.rulesets:
        filters = ReportFilter(**{**filters.__dict__, "ruleset": state.rulesets[0].id})
    try:
        filters = resolve_runs(connection, filters)
    except InvalidInput as error:
        state.errors.update(problems_by_field(error))
    state.filters = filters
    return state


def filter_choices(state: ReportState) -> dict[str, Any]:
    """What the filter form offers, limited to what the viewer may see (read on a connection
    of its own: the report's may be closed by the time the page renders)."""
    from web.database import get_engine

    with get_engine().connect() as connection:
        return _choices(connection, state)


def _choices(connection: Connection, state: ReportState) -> dict[str, Any]:
    runs_query = (select(EvaluationRun.id, EvaluationRun.as_of, EvaluationRun.ruleset_id)
                  .where(EvaluationRun.status == "completed")
                  .order_by(EvaluationRun.id.desc()).limit(RUN_CHOICES))
    if state.filters.ruleset:
        runs_query = runs_query.where(EvaluationRun.ruleset_id == state.filters.ruleset)
    runs = connection.execute(runs_query).all()
    places = cache.cached(connection, "filter choices", state.viewer, {},
                          lambda: _visible_choices(connection, state.viewer),
                          keep_seconds=current_app.config["REPORT_KEEP_SECONDS"],
                          fresh=request.args.get("fresh") == "1", work=False).value
    return {"rulesets": state.rulesets, "runs": runs, **places}


def _visible_choices(connection: Connection, viewer: Viewer) -> dict[str, list]:
    """The owners, teams, regions, cities and customer types ``viewer`` may see (each read
    over every customer in view, so kept like a report's figures)."""
    visible = access.customers(viewer)

    def distinct(column):
        return list(connection.scalars(select(column).distinct()
                                       .where(visible, column.is_not(None))
                                       .order_by(column).limit(CHOICES_LIMIT)))

    users = access.users(viewer)
    owners = connection.execute(select(User.username, User.name).where(users)
                                .order_by(User.username).limit(CHOICES_LIMIT)).all()
    teams = list(connection.scalars(select(User.team).distinct()
                                    .where(users, User.team.is_not(None))
                                    .order_by(User.team).limit(CHOICES_LIMIT)))
    return {"owners": [tuple(owner) for owner in owners], "teams": teams,
            "regions": distinct(Customer.region), "cities": distinct(Customer.city),
            "types": distinct(Customer.type)}


def report_url(endpoint: str, filters: ReportFilter, **extra) -> str:
    args = filters.args()
    args.update({k: v for k, v in extra.items() if v not in (None, "")})
    return url_for(endpoint, **args)


def customers_url(filters: ReportFilter, **extra) -> str:
    """The customer list filtered like the report, narrowed by ``extra`` (segment, run...)."""
    args = {k: v for k, v in filters.args().items()
            if k in ("ruleset", "region", "city", "team", "owner", "type")}
    args.update({k: v for k, v in extra.items() if v not in (None, "")})
    return url_for("customers.index", **args)


def export_links(endpoint: str, filters: ReportFilter, **extra) -> list[tuple[str, str]]:
    return [(fmt.upper(), report_url(endpoint, filters, **extra, format=fmt)) for fmt in FORMATS]


def render_report(template: str, state: ReportState, *, title, **context) -> Response:
    """The report page; 400 when the query had problems (they show at their fields)."""
    body = render_template(template, state=state, filters=state.filters, errors=state.errors,
                           choices=filter_choices(state), field_labels=FIELD_LABELS,
                           title=title, local_time=local_time, **context)
    return Response(body, status=400 if state.errors else 200)


# --- exports -------------------------------------------------------------------------------

def _csv_number(value) -> str:
    if isinstance(value, float):
        if value != value:
            return ""
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(round(value, 6))
    return str(value)


def _xlsx_value(value):
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    if isinstance(value, dt.date):
        return value.isoformat()
    return text_cell(str(value))


def export_filename(name: str, fmt: str) -> str:
    stem = _FILENAME.sub("-", name).strip("-") or "report"
    return f"{stem}.{fmt}"


def export_response(headers: Sequence[str], rows: Iterable[Sequence[Any]], filename: str,
                    fmt: str) -> Response:
    """A report's table as a download: CSV (UTF-8 with BOM) or XLSX (one sheet). Text cells are
    neutralised against formulas (SPEC §7); numbers stay numbers."""
    name = export_filename(filename, fmt)
    disposition = f'attachment; filename="{name}"'
    if fmt == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("report")
        sheet.append([_xlsx_value(str(h)) for h in headers])
        for row in rows:
            sheet.append([_xlsx_value(value) for value in row])
        buffer = io.BytesIO()
        workbook.save(buffer)
        return Response(buffer.getvalue(), headers={"Content-Disposition": disposition},
                        mimetype="application/vnd.openxmlformats-officedocument"
                                 ".spreadsheetml.sheet")
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([cell(str(h)) for h in headers])
    for row in rows:
        writer.writerow([cell(value, _csv_number) for value in row])
    return Response(buffer.getvalue().encode("utf-8"), headers={"Content-Disposition": disposition},
                    mimetype="text/csv")
