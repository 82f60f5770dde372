"""Evaluation runs as the web shows them: the history, and one run's segment counts and
migration matrix over the customers the viewer may see (computed from the stored scores in SQL,
so a manager's matrix is their team's and an admin's everyone's)."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection, func, select

from engine import access
from engine.access import Viewer
from engine.models import CustomerScore, EvaluationRun

PAGE = 50
RUN_COLUMNS = (EvaluationRun.id, EvaluationRun.ruleset_id, EvaluationRun.as_of,
               EvaluationRun.status, EvaluationRun.trigger, EvaluationRun.started_at,
               EvaluationRun.finished_at, EvaluationRun.counts, EvaluationRun.warnings,
               EvaluationRun.error, EvaluationRun.timings, EvaluationRun.definition_versions,
               EvaluationRun.splits, EvaluationRun.ruleset_version_id)


def run_history(connection: Connection, ruleset_id: str | None = None,
                before: int | None = None, limit: int = PAGE) -> tuple[list[dict], int | None]:
    """Runs newest first, a page at a time: (runs, the ``before`` of the next page or None)."""
    query = select(*RUN_COLUMNS).order_by(EvaluationRun.id.desc()).limit(limit + 1)
    if ruleset_id:
        query = query.where(EvaluationRun.ruleset_id == ruleset_id)
    if before is not None:
        query = query.where(EvaluationRun.id < before)
    rows = [dict(row) for row in connection.execute(query).mappings()]
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, rows[-1]["id"] if more else None


def run_record(connection: Connection, run_id: int) -> dict | None:
    row = connection.execute(select(*RUN_COLUMNS).where(EvaluationRun.id == run_id)).mappings()
    found = row.first()
    return dict(found) if found else None


@dataclass(frozen=True)
class Matrix:
    """Customers by previous segment (rows) and segment of this run (columns)."""

    cells: dict[tuple[str | None, str | None], int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.cells.values())

    def count(self, before: str | None, after: str | None) -> int:
        return self.cells.get((before, after), 0)

    def column_total(self, after: str | None) -> int:
        return sum(n for (_, to), n in self.cells.items() if to == after)

    def row_total(self, before: str | None) -> int:
        return sum(n for (came, _), n in self.cells.items() if came == before)

    @property
    def moved(self) -> int:
        return sum(n for (came, to), n in self.cells.items()
                   if came is not None and came != to)

    @property
    def previous_segments(self) -> list[str | None]:
        return sorted({came for came, _ in self.cells}, key=lambda s: (s is None, s or ""))


def migration_matrix(connection: Connection, viewer: Viewer, run_id: int) -> Matrix:
    """The run's from → to counts over the customers ``viewer`` may see."""
    rows = connection.execute(
        select(CustomerScore.previous_segment, CustomerScore.segment, func.count())
        .where(CustomerScore.run_id == run_id,
               CustomerScore.customer_id.in_(access.customer_ids(viewer)))
        .group_by(CustomerScore.previous_segment, CustomerScore.segment))
    return Matrix({(before, after): count for before, after, count in rows})
