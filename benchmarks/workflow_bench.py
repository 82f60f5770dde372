"""Benchmark of the first classification through the workflows: ``apply_run`` over N customers.

For each backend: a database with the default pack, 10 teams (a manager and 20 reps each, of
mixed seniority), a marketing team of 10, and N hospitals owned by the reps (a few owners
inactive or missing, so some tasks go unassigned); then a stored run placing every customer in
one of the four segments (seeded). Each repetition starts from that state (no workflow state,
no task) and times ``engine.workflows.apply_run(engine, run_id)`` alone: every customer moves
from ``unclassified`` (all transitions, task creation with assignment and titles, states,
notifications). Medians go to a Markdown table (``--output``).

    python benchmarks/workflow_bench.py --customers 100000 --repeat 3 --output benchmarks/workflows.md
    python benchmarks/workflow_bench.py --customers 10000 --backend sqlite      # a quick run
"""
from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, delete, func, insert, select, text  # noqa: E402

from engine.db import make_engine  # noqa: E402
from engine.definitions.published import published_spec  # noqa: E402
from engine.models import (AuditEntry, Customer, CustomerScore, EvaluationRun,  # noqa: E402
                           Notification, Task, User, WorkflowState)
from engine.setup import initialize  # noqa: E402
from engine.workflows import apply_run  # noqa: E402

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
RULESET = "value_potential"
SEGMENTS = ("star", "cash_cow", "question", "dog")
TEAMS = 10
REPS_PER_TEAM = 20
SENIORITIES = ("junior", "regular", "senior")


def build(engine, customers: int, seed: int = 11) -> int:
    """Users, customers and one stored run; returns the run id."""
    initialize(engine, admin_password="x")
    rng = random.Random(seed)
    with engine.begin() as connection:
        connection.execute(insert(User.__table__), _users())
        ids = dict(connection.execute(select(User.username, User.id)).all())
        managers = {f"t{t:02d}": ids[f"mgr{t:02d}"] for t in range(TEAMS)}
        connection.execute(User.__table__.update().where(User.role == "rep")
                           .values(manager_id=select(User.id).scalar_subquery()
                                   .where(User.username == "mgr00")))
        for team, manager_id in managers.items():
            connection.execute(User.__table__.update().where(User.team == team,
                                                             User.role == "rep")
                               .values(manager_id=manager_id))
        reps = [ids[f"rep{t:02d}_{r:02d}"] for t in range(TEAMS) for r in range(REPS_PER_TEAM)]
        rows = []
        for number in range(customers):
            owner = None if number % 997 == 0 else rng.choice(reps)
            rows.append({"code": f"H{number:07d}", "name": f"医院{number:07d}",
                         "normalized_name": f"医院{number:07d}", "type": "hospital",
                         "status": "active", "owner_id": owner, "profile": {"beds": 500}})
        for start in range(0, len(rows), 10_000):
            connection.execute(insert(Customer.__table__), rows[start:start + 10_000])
    return _store_run(engine, rng)


def _users() -> list[dict]:
    users = []
    for t in range(TEAMS):
        users.append({"username": f"mgr{t:02d}", "name": f"Manager {t}", "role": "manager",
                      "seniority": "senior", "team": f"t{t:02d}", "active": True})
        for r in range(REPS_PER_TEAM):
            users.append({"username": f"rep{t:02d}_{r:02d}", "name": f"Rep {t}/{r}",
                          "role": "rep", "seniority": SENIORITIES[r % 3], "team": f"t{t:02d}",
                          "active": r != 19})
    users += [{"username": f"mkt{m:02d}", "name": f"Marketing {m}", "role": "staff",
               "seniority": "regular", "team": "marketing", "active": True} for m in range(10)]
    return users


def _store_run(engine, rng: random.Random) -> int:
    with engine.begin() as connection:
        from sqlalchemy.orm import Session
        with Session(bind=connection) as session:
            version = published_spec(session, "ruleset", RULESET).version_id
        run_id = connection.execute(insert(EvaluationRun.__table__).values(
            ruleset_id=RULESET, ruleset_version_id=version, as_of=dt.date(2026, 4, 1),
            status="completed", trigger="cli",
            started_at=dt.datetime(2026, 4, 1, 2, 0, tzinfo=dt.timezone.utc),
            definition_versions=[], splits={}, counts={}, migration={}, warnings=[],
            timings={}).returning(EvaluationRun.id)).scalar_one()
        ids = connection.execute(select(Customer.id).order_by(Customer.id)).scalars().all()
        rows = []
        for customer_id in ids:
            segment = rng.choice(SEGMENTS)
            rows.append({"run_id": run_id, "customer_id": customer_id, "segment": segment,
                         "effective_segment": segment, "axes": {"value": 50.0,
                                                                "potential": 50.0},
                         "metrics": {}})
        for start in range(0, len(rows), 10_000):
            connection.execute(insert(CustomerScore.__table__), rows[start:start + 10_000])
    return run_id


def reset(engine) -> None:
    """Back to before the first classification: no states, tasks or notifications.

    TRUNCATE on PostgreSQL; on SQLite the caller copies the database file instead (a DELETE
    of the tasks would check ``tasks.previous_task_id``, which has no index, row by row).
    """
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as connection:
        connection.execute(text("TRUNCATE tasks, workflow_states, notifications CASCADE"))
        connection.execute(delete(AuditEntry).where(AuditEntry.action == "workflow.applied"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))


def time_once(engine, run_id: int, profile: Path | None = None) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds of this process, tasks created) of one first classification.

    CPU time includes SQLite's work (in-process) but not PostgreSQL's (a server process).
    With ``profile``, the run goes under cProfile (CPU-time clock) and its statistics are
    written there (``python -m pstats`` reads them); the times then include the profiler's cost.
    """
    profiler = cProfile.Profile(time.process_time) if profile else None
    started, cpu = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    report = apply_run(engine, run_id)
    if profiler:
        profiler.disable()
        profiler.dump_stats(str(profile))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    with engine.connect() as connection:
        stored = connection.scalar(select(func.count()).select_from(Task))
    assert stored == report.created, (stored, report.created)
    return elapsed, cpu, report.created


def bench_backend(backend: str, customers: int, repeat: int, server: str,
                  profile: Path | None = None) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="kamflow_wf_bench_"))
    os.environ["KAMFLOW_INSTANCE_PATH"] = str(folder)
    if backend == "sqlite":
        url, cleanup = f"sqlite:///{folder / 'bench.db'}", None
    else:
        name = f"kamflow_wf_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = server.rsplit("/", 1)[0] + f"/{name}"
        cleanup = (admin, name)
    os.environ["KAMFLOW_DATABASE_URL"] = url
    engine = make_engine(url)
    try:
        run_id = build(engine, customers)
        pristine = _keep_pristine(engine, folder)
        times, cpus, created = [], [], 0
        for _ in range(repeat):
            engine = _fresh(engine, pristine, folder)
            target = profile and profile.with_name(f"{profile.stem}.{backend}{profile.suffix}")
            elapsed, cpu, created = time_once(engine, run_id, target)
            times.append(elapsed)
            cpus.append(cpu)
            print(f"{backend}: {customers} customers, {created} tasks in {elapsed:.2f} s "
                  f"(CPU {cpu:.2f} s)", flush=True)
        return {"backend": backend, "customers": customers, "tasks": created,
                "median": statistics.median(times), "times": times,
                "cpu": statistics.median(cpus)}
    finally:
        engine.dispose()
        shutil.rmtree(folder, ignore_errors=True)
        if cleanup:
            admin, name = cleanup
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def _keep_pristine(engine, folder: Path) -> Path | None:
    """SQLite: a copy of the database as built, that each repetition starts from."""
    if engine.dialect.name != "sqlite":
        return None
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    pristine = folder / "pristine.db"
    shutil.copyfile(folder / "bench.db", pristine)
    return pristine


def _fresh(engine, pristine: Path | None, folder: Path):
    """The engine on the database as built (a copied file on SQLite, TRUNCATE otherwise)."""
    if pristine is None:
        reset(engine)
        return engine
    engine.dispose()
    for suffix in ("-wal", "-shm"):
        (folder / f"bench.db{suffix}").unlink(missing_ok=True)
    shutil.copyfile(pristine, folder / "bench.db")
    return make_engine(str(engine.url))


def markdown(results: list[dict], command: str) -> str:
    lines = ["| backend | customers | tasks created | median (s) | customers/s | "
             "median CPU here (s) | runs (s) |", "|---|---:|---:|---:|---:|---:|---|"]
    for r in results:
        runs = ", ".join(f"{t:.2f}" for t in r["times"])
        lines.append(f"| {r['backend']} | {r['customers']:,} | {r['tasks']:,} | "
                     f"{r['median']:.2f} | {r['customers'] / r['median']:,.0f} | "
                     f"{r['cpu']:.2f} | {runs} |")
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, " \
              f"Python {platform.python_version()}, {platform.system()}"
    return "\n".join([f"Machine: {machine}", f"Command: `{command}`", "", *lines, ""])


RESULTS_START, RESULTS_END = "<!-- results -->", "<!-- /results -->"


def write_results(path: Path, table: str) -> None:
    """Replace the results between the markers of an existing report, or write the table."""
    text = path.read_text() if path.exists() else ""
    if RESULTS_START in text and RESULTS_END in text:
        head, rest = text.split(RESULTS_START, 1)
        tail = rest.split(RESULTS_END, 1)[1]
        text = f"{head}{RESULTS_START}\n{table}{RESULTS_END}{tail}"
    else:
        text = table
    path.write_text(text)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--server", default=os.environ.get("KAMFLOW_BENCH_SERVER",
                                                           DEFAULT_SERVER))
    parser.add_argument("--output", type=Path)
    parser.add_argument("--profile", type=Path, help="write cProfile statistics of each "
                        "repetition to PROFILE with the backend's name before its suffix")
    args = parser.parse_args(argv)
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    results = [bench_backend(b, args.customers, args.repeat, args.server, args.profile)
               for b in backends]
    table = markdown(results, "python " + " ".join(sys.argv))
    print(table)
    if args.output:
        write_results(args.output, table)


if __name__ == "__main__":
    main()
