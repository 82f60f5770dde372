"""What scheduled ticks do: the one place that calls the evaluation and workflow engines.

- an evaluation tick evaluates its ruleset as of the tick's date (trigger ``scheduler``, the
  tick's key as the run's ``tick_key``) and applies the run to the workflows;
- a maintenance tick runs the workflows' daily maintenance, then delivers notifications.

A run and its workflow consequences commit together (``engine.runs``), so resuming a tick
whose process died is the same call: a run already stored for the tick is complete and is
applied again only to be sure (it creates nothing twice); otherwise the tick is evaluated
again. A run left ``running`` by an older version (which committed runs before their
consequences) is marked failed and made again.
"""
from __future__ import annotations

import logging
from datetime import date

from sqlalchemy import Engine

from engine.notify import NotifySettings, deliver_pending
from engine.runs import evaluate_and_follow, stored_run_for
from engine.scheduler.ticks import Tick
from engine.workflows import apply_run, maintain

log = logging.getLogger(__name__)
TRIGGER = "scheduler"


def evaluate_ruleset(engine: Engine, tick: Tick, as_of: date, ruleset_id: str) -> int:
    """Evaluate ``ruleset_id`` for ``tick`` and drive the workflows; the run's id."""
    run = stored_run_for(engine, tick.key)
    if run is None:
        followed = evaluate_and_follow(engine, ruleset_id, as_of, trigger=TRIGGER,
                                       tick_key=tick.key)
        run_id, report = followed.run_id, followed.workflows
    else:
        run_id, report = run.id, apply_run(engine, run.id)
    log.info("%s: run %s applied: %d moved, %d tasks created, %d cancelled", tick.key, run_id,
             report.moved, report.created, report.cancelled)
    return run_id


def run_maintenance(engine: Engine, tick: Tick, today: date,
                    notify_settings: NotifySettings) -> None:
    """Daily task maintenance for ``today``, then delivery of what it notified."""
    maintain(engine, today)
    report = deliver_pending(engine, notify_settings)
    log.info("maintenance %s: %s", today, report)


def deliver_notifications(engine: Engine, notify_settings: NotifySettings) -> None:
    report = deliver_pending(engine, notify_settings)
    if any(report.counts.values()):
        log.info("notifications: %s", report)
