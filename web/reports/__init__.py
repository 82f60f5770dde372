"""``/reports/...``: the quarterly review's reports, for managers and admins. Each report is a
module of this package that adds its routes to ``bp``; the filters are
``engine.reports.filters.ReportFilter``, read from the URL."""
from __future__ import annotations

from flask import Blueprint, render_template

from engine import access
from web.accounts import role_required

bp = Blueprint("reports", __name__, url_prefix="/reports")
READERS = access.READS_RUNS


# (endpoint, title, description) of each report, filled in by the report modules.
REPORTS: list[tuple[str, object, object]] = []


def report(endpoint: str, title, description) -> None:
    """List a report on the reports page (called by each report module)."""
    REPORTS.append((endpoint, title, description))


@bp.app_context_processor
def _report_links():
    return {"report_links": lambda: list(REPORTS)}


@bp.get("/")
@role_required(*READERS)
def index():
    return render_template("reports/index.html")


# Each report's module registers its routes on ``bp`` (and lists itself) when imported.
from web.reports import (  # noqa: E402,F401
    compliance, concentration, conversion, migration, quadrant, segments)
