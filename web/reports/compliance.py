"""``/reports/compliance``: the visits and calls the follow-up SOP required in a period against
those done, per segment, team and rep, with the customers furthest behind
(``engine.reports.compliance``)."""
from __future__ import annotations

from flask import request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from engine.errors import InvalidInput
from engine.reports import compliance as sop
from web.accounts import role_required
from web.database import get_engine
from web.i18n import localized
from web.reports import READERS, bp, report
from web.reports.common import (customers_url, export_links, export_response, open_report,
                                problems_by_field, render_report, report_url)

VIEWS = ("segment", "team", "owner")
CHART_ROWS = 40          # more rows than this: the table alone
report("reports.compliance", _l("SOP compliance"),
       _l("Visits and calls the follow-up workflow required against those done, by segment, "
          "team and rep, with the customers furthest behind."))


def period_form(state, period) -> dict:
    """The period form: its two dates and the report's other arguments as hidden fields."""
    hidden = {k: v for k, v in state.filters.args().items()}
    for name in ("view", "band_of", "segment"):
        if request.args.get(name):
            hidden[name] = request.args.get(name)
    return {"start": (request.args.get("from") or "").strip()[:40]
            or (period.start.isoformat() if period else ""),
            "end": (request.args.get("to") or "").strip()[:40]
            or (period.end.isoformat() if period else ""),
            "hidden": hidden}


def read_period(state, session: Session):
    """The report period, or None with the problem at its field."""
    if not state.ok or not state.filters.run:
        return None
    if not state.filters.run_b and not (request.args.get("from") or "").strip():
        return None         # one run only: the page asks for a start date, no error
    try:
        return sop.period_of(session, state.filters, request.args.get("from"),
                             request.args.get("to"))
    except InvalidInput as error:
        state.errors.update(problems_by_field(error))
        return None


def percent(value) -> str:
    return "" if value is None else f"{value * 100:.0f} %"


def channel_label(channel: str) -> str:
    return {"face_to_face": _("Visits"), "phone": _("Calls")}.get(channel, channel)


@bp.get("/compliance")
@role_required(*READERS)
def compliance():
    view = None
    with get_engine().connect() as connection:
        state = open_report(connection)
        view = state.choice_arg("view", VIEWS, "segment")
        session = Session(bind=connection)
        period = read_period(state, session)
        data = None
        if state.ok and period is not None:
            data = state.keep("compliance", {"period": period, "view": view}, lambda: (
                sop.compliance(session, state.viewer, state.filters, period, (view,))),
                work=True)
        fmt = state.export_format()
        if fmt and state.ok and data is not None:
            headers, rows = _table(state, data, view)
            return export_response(headers, rows, f"compliance-{view}", fmt)
        context = _context(state, data, view, period) if data is not None else {}
        return render_report(
            "reports/compliance.html", state, title=_("SOP compliance"), compare=True,
            period_form=period_form(state, period),
            extra_fields=[{"name": "view", "label": _("Group by"), "value": view,
                           "choices": [(v, _view_label(v)) for v in VIEWS]}],
            view=view, period=period, data=data, **context)


def _view_label(view: str) -> str:
    return {"segment": _("Segment"), "team": _("Team"), "owner": _("Rep")}[view]


def _group_label(state, view: str, row: dict) -> str:
    if view == "segment":
        segment = state.ruleset.segment(row["key"]) if state.ruleset else None
        return localized(segment["label"]) if segment else str(row["key"])
    if view == "owner":
        return f"{row['name']} ({row['key']})" if row["key"] else _("No owner")
    return row["key"] or _("No team")


def _drill(state, view: str, row: dict, period) -> str:
    if view == "segment":
        return customers_url(state.filters, segment=row["key"])
    if view == "owner":
        return customers_url(state.filters, owner=row["key"]) if row["key"] else ""
    return report_url("reports.compliance", state.filters, team=row["key"], view="owner",
                      **_period_args(period)) if row["key"] else ""


def _period_args(period) -> dict:
    return ({"from": request.args.get("from"), "to": request.args.get("to")} if period else {})


def _ordered(state, view: str, rows: list[dict]) -> list[dict]:
    """Segments in definition order; teams and reps as the engine sorted them."""
    if view != "segment":
        return rows
    order = {s["id"]: i for i, s in enumerate(state.segments())}
    return sorted(rows, key=lambda r: order.get(r["key"], len(order)))


def _table(state, data: dict, view: str):
    channels = data["channels"]
    headers = [_view_label(view), _("Customers")]
    for channel in channels:
        headers += [f"{channel_label(channel)}: {_('required')}",
                    f"{channel_label(channel)}: {_('done')}"]
    headers += [_("Tasks completed"), _("Compliance")]
    rows = []
    for row in _ordered(state, view, data["groups"][view]):
        cells = [_group_label(state, view, row), row["customers"]]
        for channel in channels:
            figures = row["channels"][channel]
            cells += [figures["required"], figures["done"]]
        cells += [row["tasks_done"], round(row["rate"], 4) if row["rate"] is not None else None]
        rows.append(cells)
    return headers, rows


def _context(state, data: dict, view: str, period) -> dict:
    rows = []
    categories, met, short, urls = [], [], [], []
    for row in _ordered(state, view, data["groups"][view]):
        label = _group_label(state, view, row)
        url = _drill(state, view, row, period)
        rows.append({"label": label, "url": url, "row": row})
        categories.append(label)
        met.append(row["met"])
        short.append(row["required"] - row["met"])
        urls.append(url)
    chart = {"categories": categories, "value_label": _("Contacts"),
             "series": [{"name": _("Done as required"), "color": "#2e7d32", "values": met,
                         "urls": urls},
                        {"name": _("Not done"), "color": "#c62828", "values": short,
                         "urls": urls}]}
    behind = [{**row, "url": url_for("customer.show", code=row["code"])}
              for row in data["behind"]]
    return {"rows": rows, "chart_data": chart if len(rows) <= CHART_ROWS else None,
            "behind": behind,
            "channel_label": channel_label, "percent": percent,
            "view_label": _view_label(view),
            "exports_links": export_links("reports.compliance", state.filters, view=view,
                                    **_period_args(period))}

