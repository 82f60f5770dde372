"""``/reports/concentration``: the Pareto curve of a stored metric of a run (share of customers
against share of value) and per-segment KPIs computed from the facts of the ruleset's window
(``engine.reports.concentration``)."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from engine.reports import concentration as engine_concentration
from web.accounts import role_required
from web.database import get_engine
from web.i18n import localized
from web.reports import READERS, bp, report
from web.reports.common import (customers_url, export_links, export_response, open_report,
                                render_report)
from web.reports.compliance import percent

TABLES = ("curve", "segments")
SHARES = (0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 0.8, 1.0)
report("reports.concentration", _l("Value concentration"),
       _l("How much of a value metric the top customers hold (Pareto curve), and each "
          "segment's revenue, growth, margin, order frequency, payment days and visits."))


def money(cents) -> str:
    return "" if cents is None else f"{cents / 100:,.0f}"


def number(value, digits: int = 1) -> str:
    return "" if value is None else f"{value:,.{digits}f}"


@bp.get("/concentration")
@role_required(*READERS)
def concentration():
    with get_engine().connect() as connection:
        state = open_report(connection)
        session = Session(bind=connection)
        metrics, labels, metric = [], {}, ""
        if state.ok and state.filters.run:
            spec, _as_of = engine_concentration.run_spec(session, state.filters.run)
            metrics = engine_concentration.value_metrics(spec)
            labels = engine_concentration.metric_labels(session, state.filters.run)
            metric = state.choice_arg("metric", metrics, metrics[0] if metrics else "")
        table = state.choice_arg("table", TABLES, "curve")
        curve = kpis = None
        if state.ok and metric:
            curve = state.keep("pareto", {"metric": metric}, lambda: (
                engine_concentration.pareto(session, state.viewer, state.filters, metric)))
            kpis = state.keep("segment kpis", {}, lambda: (
                engine_concentration.segment_kpis(session, state.viewer, state.filters)),
                work=True)
        context = _context(state, curve, kpis, labels, metric) if curve is not None else {}
        fmt = state.export_format()
        if fmt and state.ok and curve is not None:
            headers, rows = context["exports_data"][table]
            return export_response(headers, rows, f"concentration-{table}", fmt)
        return render_report(
            "reports/concentration.html", state, title=_("Value concentration"),
            extra_fields=[{"name": "metric", "label": _("Value metric"), "value": metric,
                           "choices": [(m, localized(labels.get(m, m))) for m in metrics]}]
            if metrics else [],
            curve=curve, kpis=kpis, metric_label=localized(labels.get(metric, metric)),
            **context)


def _context(state, curve: dict, kpis: dict, labels: dict, metric: str) -> dict:
    metric_label = localized(labels.get(metric, metric))
    total = curve["customers"]
    counts = [round(share * total) for share in SHARES]
    # The value held by exactly the customers counted, so the two columns agree.
    shares = [{"customers": share, "count": count,
               "value": engine_concentration.share_at(curve["points"], count / total)}
              for share, count in zip(SHARES, counts)] if total else []
    segments = []
    for segment in state.segments():
        figures = kpis["segments"].get(segment["id"])
        if figures:
            segments.append({"segment": segment, "label": localized(segment["label"]),
                             "url": customers_url(state.filters, segment=segment["id"]),
                             **figures})
    curve_chart = {"points": [[round(x * 100, 2), round(y * 100, 2)] for x, y in curve["points"]],
                   "x_label": _("Share of customers (%)"),
                   "y_label": _("Share of %(metric)s (%%)", metric=metric_label),
                   "name": metric_label}
    revenue_chart = {"categories": [s["label"] for s in segments],
                     "value_label": _("Revenue"),
                     "series": [{"name": s["label"], "color": s["segment"]["color"],
                                 "values": [round(s["revenue"] / 100) if j == i else 0
                                            for j in range(len(segments))],
                                 "urls": [s["url"]] * len(segments)}
                                for i, s in enumerate(segments)]}
    curve_headers = [_("Top share of customers"), _("Customers"),
                     _("Share of %(metric)s", metric=metric_label)]
    curve_rows = [[s["customers"], s["count"], None if s["value"] is None else round(s["value"], 4)]
                  for s in shares]
    kpi_headers = [_("Segment"), _("Customers"), _("Revenue"), _("Revenue of the window before"),
                   _("Growth"), _("Gross margin"), _("Orders per customer"),
                   _("Average days to pay"), _("Visits per customer")]
    kpi_rows = [[s["label"], s["customers"], s["revenue"] / 100, s["revenue_prev"] / 100,
                 _round(s["growth"]), _round(s["margin"]), _round(s["orders_per_customer"]),
                 _round(s["pay_days"]),
                 _round(s["visits_per_customer"])] for s in segments]
    return {"shares": shares, "segments_kpis": segments, "curve_chart": curve_chart,
            "revenue_chart": revenue_chart, "money": money, "number": number,
            "percent": percent,
            "exports_data": {"curve": (curve_headers, curve_rows),
                             "segments": (kpi_headers, kpi_rows)},
            "curve_exports": export_links("reports.concentration", state.filters,
                                          metric=metric, table="curve"),
            "kpi_exports": export_links("reports.concentration", state.filters,
                                        metric=metric, table="segments")}


def _round(value, digits: int = 4):
    return None if value is None else round(value, digits)
