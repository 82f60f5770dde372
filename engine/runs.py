"""A stored evaluation run together with its consequences: the one call that CLI, scheduler,
demo and web use to evaluate a ruleset for real.

The run, its scores, the workflow moves, tasks and notifications are written in one
transaction under the ruleset's lock (``engine.evaluation.evaluate`` with the workflows as its
``after_store`` hook): concurrent calls queue and leave what running them one after another
leaves; a failure leaves only a ``failed`` run with its error; a process killed half-way leaves
nothing, and the same call simply makes the run again.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import logging

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from engine.db import transaction
from engine.evaluation import RunResult, evaluate
from engine.models import EvaluationRun, utcnow
from engine.workflows import WorkflowReport, apply_stored_run

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FollowedRun:
    """A stored run and what it did to the workflows."""

    result: RunResult
    workflows: WorkflowReport

    @property
    def run_id(self) -> int:
        return self.result.run_id


def evaluate_and_follow(engine: Engine, ruleset_id: str, as_of: dt.date | None = None, *,
                        trigger: str = "cli", tick_key: str | None = None) -> FollowedRun:
    """Evaluate ``ruleset_id``, store the run and drive its workflows, all or nothing."""
    reports: list[WorkflowReport] = []

    def follow(session: Session, result: RunResult) -> None:
        reports.append(apply_stored_run(session, result.run_id))

    result = evaluate(engine, ruleset_id, as_of=as_of, trigger=trigger, tick_key=tick_key,
                      after_store=[follow])
    return FollowedRun(result, reports[0])


def stored_run_for(engine: Engine, key: str) -> EvaluationRun | None:
    """The completed run an earlier attempt made under ``key`` (a scheduler tick's or a job's
    ``tick_key``), or ``None``. A run left ``running`` by an older version (which committed
    runs before their consequences) is kept as failed history and frees the key."""
    with transaction(engine) as session:
        run = session.scalar(select(EvaluationRun).where(EvaluationRun.tick_key == key))
        if run is None or run.status == "completed":
            return run
        session.execute(update(EvaluationRun).where(EvaluationRun.id == run.id).values(
            status="failed", tick_key=None, finished_at=run.finished_at or utcnow(),
            error=run.error or f"interrupted; made again for {key}"))
        log.warning("run %s for %s was left %s; evaluating again", run.id, key, run.status)
        return None
