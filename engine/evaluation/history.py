"""What a run reads besides facts: the previous stored run and the active overrides."""
from __future__ import annotations

import datetime as dt

import numpy as np
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from engine.models import CustomerScore, EvaluationRun
from engine.overrides import effective_segments


def previous_run_id(connection: Connection, ruleset_id: str) -> int | None:
    """The last completed run of ``ruleset_id``, whatever version it used."""
    runs = EvaluationRun.__table__
    return connection.scalar(select(runs.c.id).where(runs.c.ruleset_id == ruleset_id,
                                                     runs.c.status == "completed")
                             .order_by(runs.c.id.desc()).limit(1))


def stored_segments(connection: Connection, run_id: int | None) -> dict[int, str | None]:
    """customer id → computed segment in run ``run_id`` (empty without a run)."""
    if run_id is None:
        return {}
    scores = CustomerScore.__table__
    result = connection.execute(select(scores.c.customer_id, scores.c.segment)
                                .where(scores.c.run_id == run_id))
    return dict(result.cursor.fetchall())


def active_overrides(connection: Connection, ruleset_id: str, as_of: dt.date) -> dict[int, str]:
    """customer id → the segment of its approved override still valid on ``as_of``."""
    with Session(bind=connection) as session:
        return effective_segments(session, ruleset_id, as_of)


def aligned(ids: np.ndarray, by_customer: dict[int, str | None]) -> np.ndarray:
    """The value for each of ``ids`` (None where absent), as an object array."""
    return np.array([by_customer.get(i) for i in ids.tolist()], dtype=object) \
        if len(ids) else np.empty(0, dtype=object)
