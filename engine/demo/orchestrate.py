"""The demo from start to finish: initialize, generate and import the data, evaluate, workflows.

Every step that needs another part of the engine is one small function here, so wiring a new
part in (or changing how one is called) touches one place. The CLI only prints what comes back.
"""
from __future__ import annotations

import datetime as dt
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from engine.config import load_settings
from engine.definitions.published import published_specs
from engine.demo.activity import months_before
from engine.demo.follow_up import backdate, work_tasks
from engine.demo.dataset import (
    CUSTOMER_TYPE,
    DEFAULT_CUSTOMERS,
    DEFAULT_SEED,
    IMPORT_ORDER,
    generate,
    write_files,
)
from engine.errors import NotFound
from engine.evaluation import RunResult
from engine.imports import ImportReport, import_file
from engine.models import Customer, EvaluationRun, Order, Payment, Product, User, Visit
from engine.setup import InitResult, initialize
from engine.runs import evaluate_and_follow
from engine.workflows import WorkflowReport

ACTOR = "kamflow demo"
TRIGGER = "cli"
# On a database without runs the demo first evaluates every quarter of the last two years (so
# that reports have history: who moved, and whether the follow-up was done), then ``as_of``.
QUARTER_MONTHS = 3
EARLIER_QUARTERS = 7
Progress = Callable[[str], None]


@dataclass(frozen=True)
class DemoOptions:
    as_of: dt.date
    customers: int = DEFAULT_CUSTOMERS
    seed: int = DEFAULT_SEED
    admin_password: str | None = None


@dataclass(frozen=True)
class DemoRun:
    """One evaluation run the demo made and what the workflows did after it."""

    evaluation: RunResult
    workflows: WorkflowReport


@dataclass
class DemoResult:
    """What the demo did: the data it stored and what evaluation and workflows made of it."""

    options: DemoOptions
    init: InitResult | None = None
    duplicates: int = 0
    imports: list[ImportReport] = field(default_factory=list)
    stored: dict[str, int] = field(default_factory=dict)
    runs: list[DemoRun] = field(default_factory=list)
    tasks_done: int = 0                   # closed by the reps between the quarterly runs
    timings: dict[str, float] = field(default_factory=dict)


def run_demo(engine: Engine, options: DemoOptions, progress: Progress = lambda line: None
             ) -> DemoResult:
    """Initialize the database, import generated data through the import path, evaluate every
    published ruleset as of ``options.as_of``, and apply the workflows to the runs."""
    result = DemoResult(options)
    with _step(result, "init", progress, "initializing the database"):
        result.init = initialize(engine, options.admin_password)
    with tempfile.TemporaryDirectory(prefix="kamflow-demo-") as folder:
        with _step(result, "generate", progress,
                   f"generating {options.customers} hospitals (seed {options.seed}) "
                   f"as of {options.as_of}"):
            paths = _generate(engine, options, Path(folder), result)
        with _step(result, "import", progress, "importing " + ", ".join(IMPORT_ORDER)):
            result.imports = [import_file(engine, kind, paths[kind], actor=ACTOR)
                              for kind in IMPORT_ORDER]
    result.stored = stored_counts(engine)
    for ruleset_id in hospital_rulesets(engine):
        dates = evaluation_dates(engine, ruleset_id, options.as_of)
        for as_of, next_run in zip(dates, [*dates[1:], None]):
            result.runs.append(demo_run(engine, ruleset_id, as_of, result, progress))
            # As if each had run on its date (the last one too, for a demo --as-of a past day).
            backdate(engine, result.runs[-1].evaluation.run_id, as_of, load_settings().timezone)
            if next_run is not None:
                with _step(result, "follow-up", progress,
                           f"reps working their tasks until {next_run}"):
                    result.tasks_done += work_tasks(engine, next_run, ACTOR)
    return result


@contextmanager
def _step(result: DemoResult, name: str, progress: Progress, line: str) -> Iterator[None]:
    progress(f"{line}…")
    started = time.perf_counter()
    yield
    result.timings[name] = result.timings.get(name, 0.0) + time.perf_counter() - started


def _generate(engine: Engine, options: DemoOptions, folder: Path,
              result: DemoResult) -> dict[str, Path]:
    dataset = generate(options.customers, options.seed, as_of=options.as_of)
    result.duplicates = len(dataset.duplicate_pairs())
    return write_files(dataset, folder, profile_fields=hospital_fields(engine))


def hospital_fields(engine: Engine) -> tuple[str, ...]:
    """The field keys of the published form for hospitals, which the customer file may fill."""
    with Session(engine) as session:
        forms = [f for f in published_specs(session, "form") if f.customer_type == CUSTOMER_TYPE]
    if not forms:
        raise NotFound("published form for customer type", CUSTOMER_TYPE)
    return tuple(form_field.key for form_field in forms[0].fields)


def stored_counts(engine: Engine) -> dict:
    """Rows in the database after the import, with the details the summary shows."""
    def count(model, *where):
        return select(func.count()).select_from(model).where(*where).scalar_subquery()

    with Session(engine) as session:
        counts = dict(session.execute(select(
            count(User).label("users"), count(Product).label("products"),
            count(Product, Product.is_new).label("new_products"),
            select(func.count(Product.product_line.distinct())).scalar_subquery()
            .label("product_lines"),
            count(Customer).label("customers"),
            select(func.count(Customer.region.distinct())).scalar_subquery().label("regions"),
            count(Order).label("orders"), count(Payment).label("payments"),
            count(Payment, Payment.paid_date.is_(None)).label("unpaid"),
            count(Visit).label("visits"),
            select(func.min(Order.date)).scalar_subquery().label("first_order"),
            select(func.max(Order.date)).scalar_subquery().label("last_order"),
        )).one()._mapping)
        counts["active_roles"] = dict(session.execute(
            select(User.role, func.count()).where(User.active).group_by(User.role)
            .order_by(User.role)).all())
    return counts


def hospital_rulesets(engine: Engine) -> list[str]:
    """The published rulesets that score hospitals, by id."""
    with Session(engine) as session:
        return [spec.id for spec in published_specs(session, "ruleset")
                if CUSTOMER_TYPE in spec.applies_to]


def evaluation_dates(engine: Engine, ruleset_id: str, as_of: dt.date) -> list[dt.date]:
    """``as_of``, preceded by the quarters of the last two years when the ruleset has never
    been evaluated."""
    with Session(engine) as session:
        evaluated = session.scalar(select(EvaluationRun.id).where(
            EvaluationRun.ruleset_id == ruleset_id, EvaluationRun.status == "completed")
            .limit(1))
    earlier = [] if evaluated else [months_before(as_of, QUARTER_MONTHS * quarters)
                                    for quarters in range(EARLIER_QUARTERS, 0, -1)]
    return [*earlier, as_of]


def demo_run(engine: Engine, ruleset_id: str, as_of: dt.date, result: DemoResult,
             progress: Progress) -> DemoRun:
    """Store one evaluation run and move the customers through the ruleset's workflows."""
    with _step(result, "evaluate", progress, f"evaluating {ruleset_id} as of {as_of} "
                                             "and applying the workflows"):
        followed = evaluate_and_follow(engine, ruleset_id, as_of, trigger=TRIGGER)
    return DemoRun(followed.result, followed.workflows)
