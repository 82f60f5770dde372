"""The demo's closing summary as text lines: what is in the database and how to sign in."""
from __future__ import annotations

from collections import Counter

from engine.demo.orchestrate import DemoResult
from engine.models import UNCLASSIFIED

STEP_ORDER = ("init", "generate", "import", "evaluate", "follow-up")
ASSIGNEES_SHOWN = 40


def summary_lines(result: DemoResult, database: str) -> list[str]:
    """The summary printed after the demo has run."""
    stored, options = result.stored, result.options
    lines = [
        f"demo data ready (seed {options.seed}, as of {options.as_of}) in {database}",
        f"  users      {stored['users']}: {_roles(stored)}",
        f"  products   {stored['products']} in {stored['product_lines']} product lines, "
        f"{stored['new_products']} new",
        f"  customers  {stored['customers']:,} hospitals in {stored['regions']} provinces, "
        f"{result.duplicates} spelled twice (kamflow customers duplicates)",
        f"  orders     {stored['orders']:,} lines, {stored['first_order']} to "
        f"{stored['last_order']}",
        f"  payments   {stored['payments']:,} invoices, {stored['unpaid']:,} unpaid",
        f"  visits     {stored['visits']:,}",
        _import_line(result),
    ]
    lines += _evaluation_lines(result) + _workflow_lines(result)
    lines += [_admin_line(result), _timing_line(result)]
    return lines


def _import_line(result: DemoResult) -> str:
    reports = result.imports
    rows = sum(r.rows for r in reports)
    added, changed = sum(r.added for r in reports), sum(r.changed for r in reports)
    unchanged = sum(r.unchanged for r in reports)
    return (f"  imported   {rows:,} rows: {added:,} added, {changed:,} changed, "
            f"{unchanged:,} unchanged")


def _roles(stored: dict) -> str:
    active = ", ".join(f"{n} {role}" for role, n in stored["active_roles"].items())
    return f"{active} active"


def _evaluation_lines(result: DemoResult) -> list[str]:
    if not result.runs:
        return ["  evaluation no published ruleset scores hospitals"]
    lines = []
    for run in result.runs:
        evaluation = run.evaluation
        labels = {s.id: s.label.get("zh") for s in evaluation.ruleset.spec.segments}
        counts = ", ".join(" ".join(filter(None, (segment, labels.get(segment), str(n))))
                           for segment, n in evaluation.segment_counts().items())
        lines.append(f"  run {evaluation.run_id:<6} {evaluation.ruleset_id} as of "
                     f"{evaluation.as_of}: {counts}; {_changes(evaluation)}")
        lines += [f"             warning: {w['message']}" for w in evaluation.warnings]
    return lines


def _changes(evaluation) -> str:
    """How many customers are classified for the first time, and how many moved."""
    new = evaluation.counts["new"]
    moved = sum(n for before, row in evaluation.migration["matrix"].items()
                for after, n in row.items() if before != after and before != UNCLASSIFIED)
    if evaluation.previous_run_id is None:
        return "first classification"
    return f"{moved} changed segment" + (f", {new} new" if new else "")


def _workflow_lines(result: DemoResult) -> list[str]:
    by_segment, by_assignee, created, cancelled = Counter(), Counter(), 0, 0
    for run in result.runs:
        by_segment.update(run.workflows.created_by_segment())
        by_assignee.update(run.workflows.created_by_assignee())
        created += run.workflows.created
        cancelled += run.workflows.cancelled
    if not created and not cancelled:
        return ["  tasks      none created (kamflow tasks list shows the open ones)"]
    order = {s.id: i for run in result.runs
             for i, s in enumerate(run.evaluation.ruleset.spec.segments)}
    segments = sorted(by_segment.items(),
                      key=lambda item: (order.get(item[0], len(order)), item[0]))
    lines = [f"  tasks      {created} created, {cancelled} cancelled (kamflow tasks list)",
             "    by segment   " + _counted(segments)]
    unassigned = by_assignee.pop(None, 0)
    people = sorted(by_assignee.items(), key=lambda item: (-item[1], item[0]))
    shown = [f"{name} {n}" for name, n in people[:ASSIGNEES_SHOWN]]
    if len(people) > ASSIGNEES_SHOWN:
        rest = people[ASSIGNEES_SHOWN:]
        shown.append(f"{len(rest)} others {sum(n for _, n in rest)}")
    lines += _wrapped("    by assignee  ", shown)
    if unassigned:
        lines.append(f"    unassigned   {unassigned} (admins are notified)")
    if result.tasks_done:
        lines.append(f"    done         {result.tasks_done} between the quarterly runs (some reps "
                     "follow the SOP closely, some do not)")
    return lines


def _counted(items) -> str:
    return ", ".join(f"{name} {n}" for name, n in items)


def _wrapped(first: str, parts: list[str], width: int = 100) -> list[str]:
    lines, line = [], first
    for part in parts:
        if len(line) + len(part) > width and line.strip():
            lines.append(line.rstrip(", ") + ",")
            line = " " * len(first)
        line += part + ", "
    return lines + [line.rstrip(", ")]


def _admin_line(result: DemoResult) -> str:
    init = result.init
    if init is not None and init.generated_password:
        return f"  sign in as admin with password {init.generated_password} (shown once)"
    if init is not None and init.admin_created:
        return "  sign in as admin with the password in KAMFLOW_ADMIN_PASSWORD"
    return "  sign in as admin with the password you set when the database was created"


def _timing_line(result: DemoResult) -> str:
    steps = ", ".join(f"{name} {result.timings[name]:.1f}s" for name in STEP_ORDER
                      if name in result.timings)
    return f"  took {sum(result.timings.values()):.1f}s ({steps})"
