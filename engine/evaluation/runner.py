"""One evaluation run: metrics → points → axis scores → segments → stored (SPEC §4)."""
from __future__ import annotations

import datetime as dt
import logging
from time import perf_counter
from typing import Callable, Iterable
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from engine import failpoints, locks
from engine.config import load_settings
from engine.db import transaction
from engine.errors import Conflict
from engine.models import RUN_TRIGGERS, EvaluationRun, utcnow

from .classify import classify
from .history import active_overrides, aligned, previous_run_id, stored_segments
from .loading import load_ruleset
from .metrics import compute_metrics
from .results import RunResult
from .run_warnings import run_warnings
from .scope import load_population
from .bulk_insert import insert_scores
from .scoring import score_axes

FORMAT_VERSION = 1
log = logging.getLogger(__name__)
AfterStore = Callable[[Session, RunResult], None]


def today(timezone: str | None = None) -> dt.date:
    """Today's date in the configured time zone (the default ``as_of``)."""
    return dt.datetime.now(ZoneInfo(timezone or load_settings().timezone)).date()


def evaluate(engine: Engine, ruleset_id: str, as_of: dt.date | None = None,
             dry_run: bool = False, trigger: str = "cli", version: int | None = None,
             tick_key: str | None = None,
             after_store: Iterable[AfterStore] = ()) -> RunResult:
    """Evaluate ``ruleset_id`` as of ``as_of`` (default today) and, unless ``dry_run``,
    store the run and its scores; returns the result with ``run_id`` set when stored.

    ``version`` evaluates another stored version than the published one (a draft preview:
    dry runs only). Each ``after_store(session, result)`` runs inside the transaction that
    stores the run, after the scores: the hook point for what follows a run (workflows), so
    that a run is ``completed`` only together with its consequences.

    A stored run is made under the ruleset's lock (``engine.locks``), from reading the
    previous run to committing its consequences, so concurrent evaluations of one ruleset
    leave exactly what running them one after another leaves. On any failure nothing of the
    run is kept but a ``failed`` run row with its error.
    """
    if trigger not in RUN_TRIGGERS:
        raise ValueError(f"unknown trigger {trigger!r}; known: {', '.join(RUN_TRIGGERS)}")
    started_at, clock = utcnow(), perf_counter()
    as_of = as_of or today()
    if dry_run:
        with Session(engine) as session:
            ruleset = _load(session, ruleset_id, version, dry_run)
        with engine.connect() as connection:
            result = compute(connection, ruleset, as_of, trigger, dry_run, started_at, clock)
    else:
        result = _evaluate_and_store(engine, ruleset_id, as_of, trigger, version, tick_key,
                                     after_store, started_at, clock)
    result.timings["total"] = perf_counter() - clock
    return result


def _load(session: Session, ruleset_id: str, version: int | None, dry_run: bool):
    ruleset = load_ruleset(session, ruleset_id, version)
    if not ruleset.published and not dry_run:
        raise Conflict(f"ruleset {ruleset_id!r} version {ruleset.version_number} is not "
                       "published; only a dry run can evaluate it")
    return ruleset


def _evaluate_and_store(engine: Engine, ruleset_id: str, as_of: dt.date, trigger: str,
                        version: int | None, tick_key: str | None,
                        after_store: Iterable[AfterStore], started_at: dt.datetime,
                        clock: float) -> RunResult:
    ruleset = None
    try:
        with transaction(engine) as session:
            locks.hold(session, "evaluate", ruleset_id)
            ruleset = _load(session, ruleset_id, version, dry_run=False)
            result = compute(session.connection(), ruleset, as_of, trigger, False, started_at, clock)
            store(session, result, tick_key, after_store)
    except Exception as exc:
        if ruleset is not None:
            record_failure(engine, ruleset, as_of, trigger, started_at, exc)
        raise
    return result


def record_failure(engine: Engine, ruleset, as_of: dt.date, trigger: str,
                   started_at: dt.datetime, error: Exception) -> None:
    """Keep a failed run (without scores) so that the runs page shows what went wrong.

    When even that cannot be written (the database is unreachable or locked), the original
    error is what the caller raises; this one is only logged.
    """
    try:
        with transaction(engine) as session:
            session.add(EvaluationRun(
                ruleset_id=ruleset.spec.id, ruleset_version_id=ruleset.version_id,
                as_of=as_of, status="failed", trigger=trigger, started_at=started_at,
                finished_at=utcnow(), definition_versions=ruleset.definition_versions,
                format_version=FORMAT_VERSION, error=f"{type(error).__name__}: {error}"))
    except SQLAlchemyError:
        log.exception("could not record the failure of an evaluation of %s", ruleset.spec.id)


def compute(connection: Connection, ruleset, as_of: dt.date, trigger: str, dry_run: bool,
            started_at: dt.datetime, started: float | None = None) -> RunResult:
    """Every number of a run, read on ``connection``; nothing is written. ``started`` is
    the ``perf_counter`` at the run's start (the time until now was spent loading)."""
    spec, timings = ruleset.spec, {}
    clock = perf_counter()
    if started is not None:
        timings["load"] = clock - started
    run_clock = clock if started is None else started
    population = load_population(connection, spec.applies_to, ruleset.fields)
    timings["scope"] = perf_counter() - clock
    metrics = compute_metrics(connection, ruleset, population, as_of, timings)
    clock = perf_counter()
    previous_id = previous_run_id(connection, spec.id)
    before = stored_segments(connection, previous_id)
    overrides = active_overrides(connection, spec.id, as_of)
    timings["history"] = perf_counter() - clock
    clock = perf_counter()
    size = len(population)
    scores = score_axes(spec, metrics, size)
    previous = aligned(population.ids, before)
    classification = classify(spec, scores.axes, metrics, ruleset.metric_types, previous,
                              population.fields, as_of)
    pinned = aligned(population.ids, overrides)
    effective = np.where(np.equal(pinned, None), classification.segments, pinned)
    in_scope = set(population.ids.tolist())
    left = {customer: seg for customer, seg in before.items() if customer not in in_scope}
    timings["scoring"] = perf_counter() - clock
    timings["compute"] = perf_counter() - run_clock
    result = RunResult(ruleset, as_of, trigger, dry_run, population, metrics, scores,
                       classification, previous_id, previous, effective, left, started_at,
                       timings)
    result.warnings = run_warnings(spec, metrics, classification, result.segment_counts())
    return result


def store(session: Session, result: RunResult, tick_key: str | None = None,
          after_store: Iterable[AfterStore] = ()) -> int:
    """Write the run, one score row per customer, then run the ``after_store`` hooks, in
    ``session``'s transaction; the run is ``completed`` when they have all succeeded."""
    clock = perf_counter()
    run = EvaluationRun(
        ruleset_id=result.ruleset_id, ruleset_version_id=result.ruleset.version_id,
        as_of=result.as_of, status="running", trigger=result.trigger, tick_key=tick_key,
        started_at=result.started_at, definition_versions=result.ruleset.definition_versions,
        splits=result.splits, counts=result.counts, migration=result.migration,
        warnings=result.warnings, format_version=FORMAT_VERSION)
    session.add(run)
    session.flush()
    insert_scores(session.connection(), result, run.id)
    result.run_id = run.id
    failpoints.reach("run.scores_stored")
    result.timings["store"] = perf_counter() - clock
    for hook in after_store:
        hook(session, result)
    result.timings["consequences"] = perf_counter() - clock - result.timings["store"]
    run.status, run.finished_at = "completed", utcnow()
    # "compute" runs from the start of the run, loading the ruleset included.
    run.timings = {**result.timings,
                   "total": result.timings.get("compute", 0) + perf_counter() - clock}
    return result.run_id
