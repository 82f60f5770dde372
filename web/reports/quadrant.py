"""``/reports/quadrant``: the quadrant map of a run (value × potential, split lines, segment
colors); above ``DENSITY_THRESHOLD`` customers a density grid counted in SQL whose cells drill
down to the customer list."""
from __future__ import annotations

from flask_babel import gettext as _, lazy_gettext as _l

from engine.reports import quadrant as engine_quadrant
from engine.text import pick_text
from web.accounts import role_required
from web.customers import customer_url
from web.database import get_engine
from web.i18n import current_locale
from web.reports import READERS, bp, report
from web.reports.common import (customers_url, export_links, export_response, open_report,
                                render_report)

report("reports.quadrant", _l("Quadrant map"),
       _l("Value × potential of every customer in a run, with the split lines and segments."))


VIEWS = ("auto", "density")
VIEW_LABELS = {"auto": _l("Points (a grid above 20,000)"), "density": _l("Density grid")}


def _fmt(value: float) -> float:
    return round(float(value), 4)


def _figures(connection, state, axes, view: str) -> dict:
    """Beyond the threshold (or when asked) the grid, which counts the points as it bins
    them; else the points, which are their own count."""
    threshold = engine_quadrant.DENSITY_THRESHOLD
    if view == "density" or engine_quadrant.more_points_than(
            connection, state.viewer, state.filters, axes, threshold):
        return {"grid": engine_quadrant.density(connection, state.viewer, state.filters, axes)}
    return {"points": engine_quadrant.points(connection, state.viewer, state.filters, axes,
                                             limit=threshold)}


@bp.get("/quadrant")
@role_required(*READERS)
def quadrant():
    locale = current_locale()
    context: dict = {"axes": None, "points": [], "grid": None, "total": 0}
    with get_engine().connect() as connection:
        state = open_report(connection)
        view = state.choice_arg("view", VIEWS, "auto")
        fmt = state.export_format()
        segments = state.segments()
        by_id = {s["id"]: s for s in segments}
        if state.ok and state.filters.run:
            filters = state.filters
            axes = engine_quadrant.run_axes(connection, filters.run)
            context["axes"] = axes
            if axes is not None:
                figures = state.keep("quadrant", {"view": view}, lambda: (
                    _figures(connection, state, axes, view)))
                if "grid" in figures:
                    context["grid"] = figures["grid"]
                    context["total"] = context["grid"]["count"]
                else:
                    context["points"], context["total"] = figures["points"], len(figures["points"])
    filters = state.filters
    axes = context["axes"]
    if fmt and state.ok and axes is not None:
        x_label, y_label = pick_text(axes.x_label, locale), pick_text(axes.y_label, locale)
        if context["grid"] is not None:
            grid = context["grid"]
            headers = [f"{x_label} ≥", f"{x_label} <", f"{y_label} ≥", f"{y_label} <",
                       _("Customers")]
            rows = [(grid["x_edges"][ix], grid["x_edges"][ix + 1], grid["y_edges"][iy],
                     grid["y_edges"][iy + 1], n) for ix, iy, n in grid["cells"]]
        else:
            headers = [_("Code"), _("Name"), x_label, y_label, _("Segment")]
            rows = [(p["code"], p["name"], p["x"], p["y"],
                     pick_text(by_id[p["segment"]]["label"], locale)
                     if p["segment"] in by_id else p["segment"]) for p in context["points"]]
        return export_response(headers, rows, f"quadrant-run{filters.run}", fmt)

    chart = None
    cells = []
    if axes is not None and context["grid"] is not None:
        grid = context["grid"]
        bins = len(grid["x_edges"]) - 1

        def cell_url(ix, iy):
            def bound(edges, i):
                low = "" if i == 0 else repr(edges[i])
                high = "" if i == bins - 1 else repr(edges[i + 1])
                return low, high
            (xl, xh), (yl, yh) = bound(grid["x_edges"], ix), bound(grid["y_edges"], iy)
            return customers_url(filters, scores=f"{filters.run}:{axes.x}:{xl}:{xh},"
                                                 f"{filters.run}:{axes.y}:{yl}:{yh}")

        for ix, iy, n in grid["cells"]:
            cells.append({"x_low": grid["x_edges"][ix], "x_high": grid["x_edges"][ix + 1],
                          "y_low": grid["y_edges"][iy], "y_high": grid["y_edges"][iy + 1],
                          "count": n, "url": cell_url(ix, iy)})
        labels_x = [f"{grid['x_edges'][i]:.1f}" for i in range(bins)]
        labels_y = [f"{grid['y_edges'][i]:.1f}" for i in range(bins)]
        chart = {"x": labels_x, "y": labels_y, "x_label": pick_text(axes.x_label, locale),
                 "y_label": pick_text(axes.y_label, locale),
                 "cells": [[ix, iy, n, cells[k]["url"]]
                           for k, (ix, iy, n) in enumerate(grid["cells"])]}
    elif axes is not None:
        series: dict = {}
        for p in context["points"]:
            series.setdefault(p["segment"], []).append(
                [_fmt(p["x"]), _fmt(p["y"]), f"{p['name']} ({p['code']})",
                 customer_url(p["code"])])
        ordered = [s["id"] for s in segments if s["id"] in series] + \
                  [k for k in series if k not in by_id]
        chart = {"x_label": pick_text(axes.x_label, locale),
                 "y_label": pick_text(axes.y_label, locale),
                 "split_x": axes.split_x, "split_y": axes.split_y,
                 "total": context["total"],
                 "series": [{"name": pick_text(by_id[k]["label"], locale) if k in by_id
                             else (k or _("No segment")),
                             "color": by_id[k]["color"] if k in by_id else None,
                             "points": series[k]} for k in ordered]}
    summary = []
    if axes is not None and context["points"]:
        counts: dict = {}
        for p in context["points"]:
            counts[p["segment"]] = counts.get(p["segment"], 0) + 1
        summary = [{"segment": by_id.get(k), "id": k, "count": n,
                    "url": customers_url(filters, path=f"{filters.run}:{k or ''}")}
                   for k, n in sorted(counts.items(), key=lambda kv: (
                       [s["id"] for s in segments].index(kv[0]) if kv[0] in by_id else 99))]
    return render_report(
        "reports/quadrant.html", state, title=_("Quadrant map"), chart=chart, cells=cells,
        points=context["points"], total=context["total"], axes=axes, summary=summary,
        by_id=by_id, customer_url=customer_url, threshold=engine_quadrant.DENSITY_THRESHOLD,
        extra_fields=[{"name": "view", "label": _("View"), "value": view,
                       "choices": [(k, v) for k, v in VIEW_LABELS.items()]}],
        exports=export_links("reports.quadrant", filters,
                             view=view if view != "auto" else None))
