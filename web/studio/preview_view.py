"""A preview job's result shaped for its page: table rows, matrix cells, chart geometry.

The result is the record of ``engine.definitions.preview``; a ``dry_run`` job made before
previews were one job (a plain run summary) shows its segment counts only."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.models import UNCLASSIFIED

CHART_WIDTH, CHART_HEIGHT = 400, 160     # the histogram's SVG viewBox (score 0–100 → width)


@dataclass
class PreviewView:
    job: Any
    record: dict

    @classmethod
    def of(cls, job) -> "PreviewView":
        record = dict(job.result or {})
        if "preview" not in (job.params or {}):          # a plain dry run
            record = {"counts": {"draft": (record.get("counts") or {}).get("segments", {}),
                                 "published": None},
                      "warnings": record.get("warnings", []), "segments": []}
        return cls(job, record)

    # --- identity ---------------------------------------------------------------------------
    @property
    def kind(self) -> str:
        return self.job.params.get("preview") or "ruleset"

    @property
    def def_id(self) -> str:
        return self.job.params.get(self.kind) or self.job.params.get("ruleset", "")

    @property
    def has_published(self) -> bool:
        return self.record.get("counts", {}).get("published") is not None

    def label(self, segment: str):
        for entry in self.record.get("segments", []):
            if entry["id"] == segment:
                return entry["label"]
        return None

    def color(self, segment: str) -> str | None:
        for entry in self.record.get("segments", []):
            if entry["id"] == segment:
                return entry.get("color")
        return None

    def axis_label(self, axis: str):
        for entry in self.record.get("axes", []):
            if entry["id"] == axis:
                return entry["label"]
        return None

    # --- counts -----------------------------------------------------------------------------
    def count_rows(self) -> list[dict[str, Any]]:
        counts = self.record.get("counts", {})
        draft, published = counts.get("draft") or {}, counts.get("published")
        order = list(dict.fromkeys([*(s["id"] for s in self.record.get("segments", [])),
                                    *draft, *(published or {})]))
        return [{"segment": s, "draft": draft.get(s, 0),
                 "published": None if published is None else published.get(s, 0),
                 "change": None if published is None else draft.get(s, 0) - published.get(s, 0)}
                for s in order]

    # --- migration matrix -------------------------------------------------------------------
    @property
    def has_matrix(self) -> bool:
        return "matrix" in self.record

    def matrix_states(self) -> tuple[list[str], list[str]]:
        """(rows: published segments, columns: draft segments), unclassified last when met."""
        matrix = self.record.get("matrix", {})
        order = [s["id"] for s in self.record.get("segments", [])]
        rows = [s for s in order if s in matrix] + sorted(set(matrix) - set(order))
        seen = {to for targets in matrix.values() for to in targets}
        columns = [s for s in order if s in seen] + sorted(seen - set(order))
        return rows, columns

    def cell(self, source: str, target: str) -> int:
        return self.record.get("matrix", {}).get(source, {}).get(target, 0)

    @property
    def moved(self) -> int:
        return sum(cell["total"] for cell in self.record.get("movers", {}).values())

    def page_of_movers(self, move: str, page: int, size: int) -> dict[str, Any] | None:
        cell = self.record.get("movers", {}).get(move)
        if cell is None:
            return None
        rows = cell["rows"]
        pages = max(1, -(-len(rows) // size))
        page = min(page, pages)
        source, _, target = move.partition("->")
        return {"source": source, "target": target, "total": cell["total"],
                "kept": len(rows), "rows": rows[(page - 1) * size:page * size],
                "page": page, "pages": pages}

    def axis_ids(self) -> list[str]:
        return [a["id"] for a in self.record.get("axes", [])]

    # --- tasks ------------------------------------------------------------------------------
    def task_tables(self) -> list[dict[str, Any]]:
        """Per workflow: rows per template and per assignee, draft beside published."""
        tasks = self.record.get("tasks") or {}
        draft = {w["workflow"]: w for w in tasks.get("draft") or []}
        published = tasks.get("published")
        base = {w["workflow"]: w for w in published or []}
        tables = []
        for workflow in sorted(set(draft) | set(base)):
            d, b = draft.get(workflow, {}), base.get(workflow, {})
            tables.append({
                "workflow": workflow, "compare": published is not None,
                "moved": (d.get("moved", 0), b.get("moved", 0)),
                "by_template": _rows(d, b, by_template=True),
                "by_assignee": _rows(d, b, by_template=False),
                "kept": d.get("kept", 0), "not_created_open": d.get("not_created_open", 0)})
        return tables

    # --- histograms -------------------------------------------------------------------------
    def histograms(self) -> list[dict[str, Any]]:
        return [_histogram(entry) for entry in self.record.get("histograms", [])]


def _totals(workflow: dict, which: str, by_template: bool) -> dict[str, int]:
    table = workflow.get(which) or {}
    found: dict[str, int] = {}
    for template, by_assignee in table.items():
        for assignee, count in by_assignee.items():
            key = template if by_template else assignee
            found[key] = found.get(key, 0) + count
    return found


def _rows(draft: dict, base: dict, by_template: bool) -> list[dict[str, Any]]:
    columns = {(which, side): _totals(workflow, which, by_template)
               for which in ("created", "cancelled")
               for side, workflow in (("draft", draft), ("published", base))}
    keys = sorted({k for values in columns.values() for k in values})
    return [{"key": key, **{f"{which}_{side}": values.get(key, 0)
                            for (which, side), values in columns.items()}}
            for key in keys]


def _histogram(entry: dict) -> dict[str, Any]:
    edges, draft = entry["edges"], entry["draft"]
    published = entry.get("published")
    peak = max([1, *draft, *(published or [])])
    span = edges[-1] - edges[0] or 1
    step = CHART_WIDTH / len(draft)

    def bars(counts, inset):
        return [{"x": round(i * step + inset, 2), "width": round(step - 2 * inset, 2),
                 "height": round(CHART_HEIGHT * n / peak, 2),
                 "y": round(CHART_HEIGHT - CHART_HEIGHT * n / peak, 2), "n": n}
                for i, n in enumerate(counts)]

    def lines(splits):
        return [{"x": round(CHART_WIDTH * (s["value"] - edges[0]) / span, 2), **s}
                for s in splits or [] if s.get("value") is not None]

    rows = [{"low": edges[i], "high": edges[i + 1], "draft": n,
             "published": published[i] if published else None}
            for i, n in enumerate(draft)]
    return {"axis": entry["axis"], "label": entry.get("label"), "width": CHART_WIDTH,
            "height": CHART_HEIGHT, "draft": bars(draft, 1.5),
            "published": bars(published, 0.5) if published else None,
            "split": lines(entry.get("split")), "published_split": lines(
                entry.get("published_split")), "rows": rows}


__all__ = ["PreviewView", "UNCLASSIFIED"]
