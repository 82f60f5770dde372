"""``/reports/segments``: how many customers are in each segment of a run, by region, city,
team or owner (``by=``), with shares; stacked bars and the table, each count drilling down to
the customer list."""
from __future__ import annotations

from flask_babel import gettext as _, lazy_gettext as _l

from engine.reports import segments as engine_segments
from engine.text import pick_text
from web.accounts import role_required
from web.database import get_engine
from web.i18n import current_locale
from web.reports import READERS, bp, report
from web.reports.common import (customers_url, export_links, export_response, open_report,
                                render_report)

report("reports.segments", _l("Segment counts"),
       _l("Customers per segment by region, city, team or owner, with shares."))

BY_LABELS = {"region": _l("Region"), "city": _l("City"), "team": _l("Team"),
             "owner": _l("Owner")}


@bp.get("/segments")
@role_required(*READERS)
def segments():
    locale = current_locale()
    rows: list[dict] = []
    with get_engine().connect() as connection:
        state = open_report(connection)
        by = state.choice_arg("by", engine_segments.BY, "region")
        fmt = state.export_format()
        segment_list = state.segments()
        if state.ok and state.filters.run:
            rows = state.keep("segments", {"by": by}, lambda: engine_segments.segment_counts(
                connection, state.viewer, state.filters, by))
    filters = state.filters
    by_id = {s["id"]: s for s in segment_list}
    ids = [s["id"] for s in segment_list]
    extra = sorted({r["segment"] for r in rows if r["segment"] not in by_id},
                   key=lambda s: s or "")
    columns = ids + extra
    table = engine_segments.table(rows, columns)

    def label(segment_id) -> str:
        if segment_id in by_id:
            return pick_text(by_id[segment_id]["label"], locale)
        return segment_id or _("No segment")

    def group_label(group) -> str:
        if group["key"] is None:
            return _("(not set)")
        if by == "owner" and group["name"] and group["name"] != group["key"]:
            return f"{group['name']} ({group['key']})"
        return str(group["key"])

    if fmt and state.ok:
        headers = [str(BY_LABELS[by])]
        for s in columns:
            headers += [label(s), f"{label(s)} %"]
        headers.append(_("Total"))
        out = []
        for group in table:
            line = [group_label(group)]
            for s in columns:
                line += [group["counts"].get(s, 0), round(group["shares"].get(s, 0.0) * 100, 2)]
            line.append(group["total"])
            out.append(line)
        return export_response(headers, out, f"segments-by-{by}-run{filters.run}", fmt)

    def drill(group, segment_id=None) -> str | None:
        """The customer list of a group (in a segment of the run when given); none for the
        customers without the grouping value or without a segment."""
        if group["key"] is None:
            return None
        path = f"{filters.run}:{segment_id}" if segment_id else None
        return customers_url(filters, **{by: group["key"]}, path=path)

    for group in table:
        group["label"] = group_label(group)
        group["urls"] = {s: drill(group, s) if s is not None and group["key"] is not None
                         else None for s in columns}
        group["url"] = drill(group)
    chart = {"categories": [g["label"] for g in table], "value_label": _("Customers"),
             "series": [{"name": label(s), "color": by_id[s]["color"] if s in by_id else None,
                         "values": [g["counts"].get(s, 0) for g in table],
                         "urls": [g["urls"][s] for g in table]} for s in columns]}
    return render_report(
        "reports/segments.html", state, title=_("Segment counts"), table=table,
        columns=[{"id": s, "segment": by_id.get(s), "label": label(s)} for s in columns],
        chart=chart, by=by, by_label=BY_LABELS[by],
        extra_fields=[{"name": "by", "label": _("Group by"), "value": by,
                       "choices": [(k, v) for k, v in BY_LABELS.items()]}],
        exports=export_links("reports.segments", filters, by=by))
