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

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from engine.evaluation import RunResult, evaluate
from engine.workflows import WorkflowReport, apply_stored_run


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
