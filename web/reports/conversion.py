"""``/reports/conversion``: of the customers in each segment at the earlier run, how many are in
each segment at the later run — in total, by SOP-compliance band, by team and by rep
(``engine.reports.conversion``): is a low conversion the assessment or the follow-up?"""
from __future__ import annotations

from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from engine.reports import compliance as sop
from engine.reports import conversion as engine_conversion
from web.accounts import role_required
from web.database import get_engine
from web.i18n import localized
from web.reports import READERS, bp, report
from web.reports.common import (customers_url, export_links, export_response, open_report,
                                render_report)
from web.reports.compliance import percent, period_form, read_period

VIEWS = ("band", "team", "owner")
SHORT_BANDS = {"low": "<50%", "mid": "50–80%", "high": "≥80%"}
CHART_ROWS = 40          # more rows than this: the table alone
report("reports.conversion", _l("Conversion"),
       _l("Where the customers of each segment at the earlier run are at the later one, by "
          "SOP-compliance band, team and rep."))


def band_label(band: str) -> str:
    return {"low": _("Compliance below 50%"), "mid": _("Compliance 50%–80%"),
            "high": _("Compliance ≥ 80%"),
            "none": _("Nothing required")}.get(band, band)


def _view_label(view: str) -> str:
    return {"band": _("Compliance band"), "team": _("Team"), "owner": _("Rep")}[view]


@bp.get("/conversion")
@role_required(*READERS)
def conversion():
    with get_engine().connect() as connection:
        state = open_report(connection)
        view = state.choice_arg("view", VIEWS, "band")
        segments = state.segments()
        segment_ids = [s["id"] for s in segments]
        from_segment = state.choice_arg("segment", segment_ids, "") if segment_ids else ""
        session = Session(bind=connection)
        period = read_period(state, session)
        data = None
        if state.ok and period is not None:
            data = state.keep("conversion", {"period": period, "view": view}, lambda: (
                _for_view(engine_conversion.conversion(session, state.viewer, state.filters,
                                                       period), view)), work=True)
        fmt = state.export_format()
        context = _context(state, data, view, from_segment, segments) if data else {}
        if fmt and state.ok and data is not None:
            return export_response(context["headers"], context["export_rows"],
                                   f"conversion-{view}", fmt)
        return render_report(
            "reports/conversion.html", state, title=_("Conversion"), compare=True,
            period_form=period_form(state, period),
            extra_fields=[
                {"name": "view", "label": _("Group by"), "value": view,
                 "choices": [(v, _view_label(v)) for v in VIEWS]},
                {"name": "segment", "label": _("Segment at the earlier run"),
                 "value": from_segment,
                 "choices": [("", _("Every segment"))]
                 + [(s["id"], localized(s["label"])) for s in segments]}],
            view=view, period=period, data=data, **context)


def _for_view(data: dict, view: str) -> dict:
    """What the page of ``view`` shows: the totals and that view's rows (by rep, thousands)."""
    return {**data, "rows": {d: data["rows"][d] for d in ("total", view)}}


def _label(state, segment_id):
    if segment_id is None:
        return _("Out of scope")
    segment = state.ruleset.segment(segment_id) if state.ruleset else None
    return localized(segment["label"]) if segment else segment_id


def _key_label(view: str, key, name) -> str:
    if view == "band":
        return band_label(key)
    if view == "owner":
        return f"{name} ({key})" if key else _("No owner")
    return key or _("No team")


def _context(state, data: dict, view: str, from_segment: str, segments: list[dict]) -> dict:
    order = {s["id"]: i for i, s in enumerate(segments)}
    targets = [s["id"] for s in segments]
    if any(r["to"] is None for rows in data["rows"].values() for r in rows):
        targets.append(None)
    colors = {s["id"]: s["color"] for s in segments}

    def table(dimension: str) -> list[dict]:
        found = engine_conversion.matrices(data["rows"][dimension])
        key_order = (list(sop.BANDS) if dimension == "band" else
                     sorted(found, key=lambda k: (k is None, str(k or ""))))
        out = []
        for key in key_order:
            if key not in found:
                continue
            entry = found[key]
            for source in sorted(entry["from"], key=lambda s: order.get(s, len(order))):
                if from_segment and source != from_segment:
                    continue
                cell = entry["from"][source]
                owner = key if dimension == "owner" else None
                out.append({
                    "key_label": _key_label(dimension, key, entry["name"]),
                    "short_label": SHORT_BANDS.get(key, _("Nothing required"))
                    if dimension == "band" else _key_label(dimension, key, entry["name"]),
                    "from": source, "from_label": _label(state, source), "total": cell["total"],
                    "to": [{"id": t, "count": cell.get(t, 0),
                            "share": cell.get(t, 0) / cell["total"] if cell["total"] else None,
                            "url": customers_url(state.filters, segment=t, owner=owner)
                            if t else ""} for t in targets],
                    "stay": cell.get(source, 0) / cell["total"] if cell["total"] else None})
        return out

    overall, grouped = table("total"), table(view)
    chart = {"categories": [f"{r['short_label']} · {r['from_label']}" for r in grouped],
             "value_label": _("Customers"),
             "series": [{"name": _label(state, t), "color": colors.get(t) or "#bbbbbb",
                         "values": [r["to"][i]["count"] for r in grouped],
                         "urls": [r["to"][i]["url"] for r in grouped]}
                        for i, t in enumerate(targets)]}
    headers = [_view_label(view), _("Segment at the earlier run"), _("Customers")]
    headers += [f"→ {_label(state, t)}" for t in targets]
    export_rows = [[r["key_label"], r["from_label"], r["total"]] + [c["count"] for c in r["to"]]
                   for r in grouped]
    return {"overall": overall, "grouped": grouped,
            "chart_data": chart if len(grouped) <= CHART_ROWS else None, "targets": targets,
            "target_labels": [_label(state, t) for t in targets], "headers": headers,
            "export_rows": export_rows, "view_label": _view_label(view), "percent": percent,
            "exports_links": export_links("reports.conversion", state.filters, view=view,
                                          segment=from_segment or None,
                                          **{"from": request.args.get("from"),
                                             "to": request.args.get("to")})}
