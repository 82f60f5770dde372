"""``GET /api/v1/runs`` and ``GET /api/v1/runs/<id>``: evaluation runs, for managers (read)
and admins (SPEC §5.1 ``/runs``); other roles get a 403. A run's stored counts and migration
cover every customer of the run; ``visible_migration`` counts only the caller's customers (a
manager's team), as the run page does."""
from __future__ import annotations

from sqlalchemy import Connection, select

from engine import access, run_report
from engine.models import EvaluationRun
from web.api import bp
from web.api.auth import require
from web.api.errors import ApiError
from web.api.params import decode_cursor, encode_cursor, limit, respond, text
from web.database import get_engine

READS_RUNS = access.READS_RUNS
SUMMARY = ("id", "ruleset_id", "ruleset_version_id", "as_of", "status", "trigger",
           "started_at", "finished_at", "counts", "error")
DETAIL = SUMMARY + ("definition_versions", "splits", "migration", "warnings", "timings")
RUNS = EvaluationRun.__table__


@bp.get("/runs")
def list_runs():
    """Newest first; ``ruleset`` filter; ``limit`` and ``after``."""
    require(READS_RUNS)
    size = limit()
    position = decode_cursor("runs", int)
    query = select(*(RUNS.c[name] for name in SUMMARY), RUNS.c.warnings)
    if position is not None:
        query = query.where(RUNS.c.id < position[0])
    ruleset = text("ruleset")
    if ruleset is not None:
        query = query.where(RUNS.c.ruleset_id == ruleset)
    with get_engine().connect() as connection:
        rows = connection.execute(query.order_by(RUNS.c.id.desc()).limit(size + 1)).all()
    items = [{**dict(zip(SUMMARY, row[:-1])), "warning_count": len(row[-1] or [])}
             for row in rows[:size]]
    after = encode_cursor("runs", items[-1]["id"]) if len(rows) > size else None
    return respond({"items": items, "next": after})


@bp.get("/runs/<int:run_id>")
def show_run(run_id: int):
    viewer = require(READS_RUNS)
    with get_engine().connect() as connection:
        found = run_details(connection, run_id)
        if found is None:
            raise ApiError(404, f"no run {run_id}")
        matrix = run_report.migration_matrix(connection, viewer, run_id)
    found["visible_migration"] = [{"from": before, "to": after, "customers": count}
                                  for (before, after), count in sorted(
                                      matrix.cells.items(), key=lambda c: str(c[0]))]
    return respond(found)


def run_details(connection: Connection, run_id: int) -> dict | None:
    row = connection.execute(select(*(RUNS.c[name] for name in DETAIL))
                             .where(RUNS.c.id == run_id)).first()
    return dict(zip(DETAIL, row)) if row is not None else None
