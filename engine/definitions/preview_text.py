"""A preview record (``engine.definitions.preview``) as the lines the CLI prints: the same
content as the studio's preview page, as plain-text tables."""
from __future__ import annotations

from typing import Any

from engine.text import aligned_table

MOVERS_SHOWN = 10         # customers printed per cell of the migration matrix


def preview_lines(record: dict[str, Any]) -> list[str]:
    kind, def_id = record.get("kind", "ruleset"), record.get("id")
    version = record.get("version")
    what = f"{kind} {def_id}" + (f" version {version}" if version else " (as in the pack)")
    against = (f"published version {record['published_version']}"
               if record.get("published_version") else "nothing published")
    lines = [f"preview of {what} against {against}, as of {record['as_of']}: "
             f"{record['customers']['draft']} customers in scope, nothing stored "
             f"({record['timings'].get('total', 0):.2f} s)", ""]
    lines += _counts(record)
    if "matrix" in record:
        lines += ["", "migration published -> draft (rows: published, columns: draft)"]
        lines += _matrix(record)
        lines += _movers(record)
    lines += _tasks(record)
    if record.get("warnings"):
        lines += ["", "warnings:"] + [f"  - {w['message']}" for w in record["warnings"]]
    lines += _histograms(record)
    golden = record.get("golden") or []
    lines += ["", f"golden customers: {len(golden)} expectation(s) broken"]
    lines += [f"  - {g['customer_name']} (id {g['customer_id']}): expected {g['expected']}, "
              f"draft gives {g['actual'] or 'out of scope'}" for g in golden]
    return lines


def _counts(record) -> list[str]:
    draft, published = record["counts"]["draft"], record["counts"].get("published")
    order = list(dict.fromkeys([*(s["id"] for s in record["segments"]), *draft,
                                *(published or {})]))
    if published is None or record.get("kind") == "workflow":
        return aligned_table(["segment", "customers"], [[s, str(draft.get(s, 0))] for s in order])
    rows = [[s, str(published.get(s, 0)), str(draft.get(s, 0)),
             f"{draft.get(s, 0) - published.get(s, 0):+d}"] for s in order]
    return aligned_table(["segment", "published", "draft", "change"], rows)


def _matrix(record) -> list[str]:
    matrix = record["matrix"]
    order = [s["id"] for s in record["segments"]]
    sources = [s for s in order if s in matrix] + sorted(set(matrix) - set(order))
    seen = {to for targets in matrix.values() for to in targets}
    targets = [s for s in order if s in seen] + sorted(seen - set(order))
    rows = [[s] + [str(matrix[s].get(t, 0)) for t in targets] for s in sources]
    return aligned_table(["published \\ draft", *targets], rows)


def _movers(record) -> list[str]:
    lines = []
    for key, cell in record.get("movers", {}).items():
        source, _, target = key.partition("->")
        shown = min(MOVERS_SHOWN, len(cell["rows"]))
        more = f", the first {shown} by code" if cell["total"] > shown else ""
        lines += ["", f"{source} -> {target}: {cell['total']} customer(s){more}"]
        rows = [[row["code"], row["name"],
                 _scores(row["old"]), _scores(row["new"]),
                 f"{row['item']['key']} {_n(row['item']['old'])} -> {_n(row['item']['new'])}"]
                for row in cell["rows"][:MOVERS_SHOWN]]
        lines += ["  " + line for line in aligned_table(
            ["code", "name", "published scores", "draft scores", "item that made the difference"],
            rows)]
    return lines


def _scores(axes: dict) -> str:
    return " ".join(f"{axis}={_n(value)}" for axis, value in axes.items()) or "-"


def _n(value) -> str:
    return "-" if value is None else f"{value:.1f}"


def _tasks(record) -> list[str]:
    tasks = record.get("tasks") or {}
    draft = tasks.get("draft") or []
    if not draft:
        return ["", "tasks: no workflow follows this ruleset"]
    base = {w["workflow"]: w for w in tasks.get("published") or []}
    compare = tasks.get("published") is not None
    lines = []
    for workflow in draft:
        other = base.get(workflow["workflow"], {})
        moved = f"{workflow['moved']} customer(s) would move"
        if compare:
            moved += f" (published: {other.get('moved', 0)})"
        lines += ["", f"tasks of workflow {workflow['workflow']}: {moved}"]
        for by_template, title in ((True, "template"), (False, "assignee")):
            header = [title, "created", "cancelled"]
            if compare:
                header = [title, "created", "published", "cancelled", "published"]
            rows = []
            created, cancelled = _sum(workflow, "created", by_template), _sum(
                workflow, "cancelled", by_template)
            was_created, was_cancelled = _sum(other, "created", by_template), _sum(
                other, "cancelled", by_template)
            for key in sorted(set(created) | set(cancelled) | set(was_created)
                              | set(was_cancelled)):
                row = [key or "(unassigned)", str(created.get(key, 0))]
                if compare:
                    row.append(str(was_created.get(key, 0)))
                row.append(str(cancelled.get(key, 0)))
                if compare:
                    row.append(str(was_cancelled.get(key, 0)))
                rows.append(row)
            if rows:
                lines += ["  " + line for line in aligned_table(header, rows)]
    return lines


def _sum(workflow: dict, which: str, by_template: bool) -> dict[str, int]:
    found: dict[str, int] = {}
    for template, by_assignee in (workflow.get(which) or {}).items():
        for assignee, count in by_assignee.items():
            key = template if by_template else assignee
            found[key] = found.get(key, 0) + count
    return found


def _histograms(record) -> list[str]:
    lines = []
    for entry in record.get("histograms", []):
        splits = ", ".join(f"{s['group'] + ': ' if s.get('group') else ''}{s['value']:.2f} "
                           f"({s['rule']})" for s in entry.get("split", []))
        lines += ["", f"axis {entry['axis']}" + (f", split {splits}" if splits else "")]
        edges, draft, published = entry["edges"], entry["draft"], entry.get("published")
        peak = max([1, *draft])
        header = ["score", "draft", ""] if published is None else ["score", "published",
                                                                   "draft", ""]
        rows = []
        for i, n in enumerate(draft):
            row = [f"{edges[i]:g}-{edges[i + 1]:g}"]
            if published is not None:
                row.append(str(published[i]))
            row += [str(n), "#" * round(30 * n / peak)]
            rows.append(row)
        lines += ["  " + line for line in _left_last(header, rows)]
    return lines


def _left_last(header, rows) -> list[str]:
    """The bar column reads left to right: print it unpadded after the numbers."""
    numbers = aligned_table(header[:-1], [r[:-1] for r in rows])
    return [f"{line}  {bar}".rstrip() for line, bar in zip(numbers, ["", *(r[-1] for r in rows)])]
