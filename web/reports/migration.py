"""``/reports/migration``: the from → to matrix of segments between two runs of a ruleset
(heatmap and table, each cell drilling down to its customers), and the customers' paths over
the last ``n`` runs as a Sankey with the most frequent paths listed."""
from __future__ import annotations

from flask_babel import gettext as _, lazy_gettext as _l

from engine.reports import migration as engine_migration
from engine.text import pick_text
from web.accounts import role_required
from web.database import get_engine
from web.i18n import current_locale
from web.reports import READERS, bp, report
from web.reports.common import (customers_url, export_links, export_response, open_report,
                                render_report)

report("reports.migration", _l("Migration"),
       _l("Who moved between segments from one run to another, and the paths over recent runs."))

TOP_PATHS = 15


def _quarter(as_of) -> str:
    return f"{as_of.year}Q{(as_of.month - 1) // 3 + 1}"


@bp.get("/migration")
@role_required(*READERS)
def migration():
    locale = current_locale()
    cells: list[dict] = []
    runs: list[dict] = []
    found: list[dict] = []
    with get_engine().connect() as connection:
        state = open_report(connection)
        n = state.int_arg("n", 4, 2, 12)
        fmt = state.export_format()
        segment_list = state.segments()
        filters = state.filters
        if state.ok and filters.run:
            runs = engine_migration.last_runs(connection, filters, n)
            run_ids = [r["id"] for r in runs]
            found = state.keep("migration paths", {"runs": run_ids}, lambda: (
                engine_migration.paths(connection, state.viewer, filters, runs)))
            if filters.run_b in run_ids[:-1] and run_ids[-1] == filters.run:
                cells = engine_migration.matrix_from_paths(found, run_ids.index(filters.run_b))
            elif filters.run_b:
                cells = state.keep("migration matrix", {}, lambda: (
                    engine_migration.matrix(connection, state.viewer, filters)))
    by_id = {s["id"]: s for s in segment_list}

    def label(segment_id) -> str:
        if segment_id is None:
            return _("Not scored")
        if segment_id in by_id:
            return pick_text(by_id[segment_id]["label"], locale)
        return segment_id

    order = [s["id"] for s in segment_list]
    seen_from = {c["from"] for c in cells}
    seen_to = {c["to"] for c in cells}
    rows_ids = [s for s in order if s in seen_from or s in seen_to] + \
        sorted({s for s in seen_from | seen_to if s not in by_id and s is not None}) + \
        ([None] if None in seen_from else [])
    cols_ids = [s for s in rows_ids if s is not None]
    counts = {(c["from"], c["to"]): c["count"] for c in cells}

    def cell_url(a, b) -> str:
        return customers_url(filters, path=f"{filters.run_b}:{a or ''},{filters.run}:{b or ''}")

    quarters = [_quarter(r["as_of"]) for r in runs]
    step_names = quarters if len(set(quarters)) == len(quarters) \
        else [f"#{r['id']} {r['as_of']}" for r in runs]

    def path_url(segments) -> str:
        return customers_url(filters, path=",".join(
            f"{run['id']}:{segment or ''}" for run, segment in zip(runs, segments)))

    top = [{"segments": p["segments"], "count": p["count"], "url": path_url(p["segments"]),
            "labels": [label(s) for s in p["segments"]],
            "moved": len(set(p["segments"])) > 1} for p in found[:TOP_PATHS]]

    if fmt and state.ok:
        if request_table() == "paths":
            headers = step_names + [_("Customers")]
            out = [[label(s) for s in p["segments"]] + [p["count"]] for p in found]
            return export_response(headers, out, f"migration-paths-run{filters.run}", fmt)
        headers = [_("From (run %(run)s)", run=filters.run_b),
                   _("To (run %(run)s)", run=filters.run), _("Customers")]
        out = [[label(c["from"]), label(c["to"]), c["count"]]
               for c in sorted(cells, key=lambda c: (
                   rows_ids.index(c["from"]) if c["from"] in rows_ids else 99,
                   cols_ids.index(c["to"]) if c["to"] in cols_ids else 99))]
        return export_response(headers, out, f"migration-run{filters.run_b}-run{filters.run}",
                               fmt)

    matrix = [{"id": a, "label": label(a), "segment": by_id.get(a),
               "cells": [{"count": counts.get((a, b), 0),
                          "url": cell_url(a, b) if counts.get((a, b)) else None}
                         for b in cols_ids],
               "total": sum(counts.get((a, b), 0) for b in cols_ids)} for a in rows_ids]
    heat = {"x": [label(b) for b in cols_ids], "y": [label(a) for a in rows_ids],
            "x_label": _("To (run %(run)s)", run=filters.run),
            "y_label": _("From (run %(run)s)", run=filters.run_b), "y_inverse": True,
            "cells": [[j, i, counts.get((a, b), 0),
                       cell_url(a, b) if counts.get((a, b)) else None]
                      for i, a in enumerate(rows_ids) for j, b in enumerate(cols_ids)]}
    sankey = None
    if len(runs) > 1:
        nodes, node_names = [], set()

        def node(step, segment) -> str:
            name = f"{step_names[step]} {label(segment)}"
            if name not in node_names:
                node_names.add(name)
                nodes.append({"name": name, "depth": step,
                              "color": by_id[segment]["color"] if segment in by_id else None})
            return name

        links = []
        for link in engine_migration.links(found):
            step = link["step"]
            links.append({"source": node(step, link["from"]),
                          "target": node(step + 1, link["to"]), "value": link["count"]})
        sankey = {"nodes": nodes, "links": links}
    return render_report(
        "reports/migration.html", state, title=_("Migration"), compare=True, matrix=matrix,
        columns=[{"id": b, "label": label(b), "segment": by_id.get(b)} for b in cols_ids],
        heat=heat, sankey=sankey, top=top, steps=step_names, runs=runs, n=n,
        extra_fields=[{"name": "n", "label": _("Runs in the paths"), "value": n,
                       "min": 2, "max": 12}],
        exports=export_links("reports.migration", filters, n=n),
        path_exports=export_links("reports.migration", filters, n=n, table="paths"))


def request_table() -> str:
    from flask import request
    return "paths" if request.args.get("table") == "paths" else "matrix"
