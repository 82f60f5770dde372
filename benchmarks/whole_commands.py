"""Evaluation as users meet it: data loaded by ``kamflow import``, ``kamflow evaluate`` timed
as a whole process, beside a pandas script reading the same CSV files (issue 9 item 3).

For each backend and size:

1. the demo data set (``engine.demo.dataset``, seed 1, as of 2026-03-31) written as the SPEC §6
   CSV files, once per size (orders come month by month, not customer by customer, as an ERP
   export does);
2. a fresh database: ``kamflow init``, then ``kamflow import KIND FILE`` for every kind, each a
   whole process; then ``engine.statistics.refresh_statistics`` (what the import does at its end
   once wired; ``--no-statistics`` leaves it out);
3. the first classification: ``kamflow evaluate`` on a copy of the freshly imported database
   (every customer moves from unclassified: run, scores, tasks, states, notifications), repeated
   on fresh copies (PostgreSQL ``CREATE DATABASE … TEMPLATE``, SQLite a file copy);
4. repeated evaluations of the same data on the classified database (``kamflow evaluate``, which
   moves nobody now, and ``kamflow evaluate --dry-run``), the pandas script
   (``benchmarks/pandas_csv.py``) on the CSV files, and ``kamflow --help`` (interpreter and
   import start-up), interleaved, ``--repeat`` times each.

Every figure is the wall time of the whole child process; the in-process time ``evaluate``
prints (``(N s)``) and the stored run's phases are reported beside it, and the load average
(1 min) at the start of each command. Medians go to a Markdown report (``--output``).

    python benchmarks/whole_commands.py --sizes 20000,100000 --repeat 3 \
        --output benchmarks/whole_commands.md
    python benchmarks/whole_commands.py --sizes 2000 --backend sqlite --repeat 1     # quick
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
RULESET = "value_potential"
AS_OF = dt.date(2026, 3, 31)
KINDS = ("users", "products", "customers", "orders", "payments", "visits")
KAMFLOW = str(Path(sys.executable).with_name("kamflow"))


# --- processes -------------------------------------------------------------------------------

def timed(args: list[str], url: str | None = None) -> dict:
    """Run a whole process; its wall time, the load average before it and its output."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if url:
        env["KAMFLOW_DATABASE_URL"] = url
    load = os.getloadavg()[0]
    started = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, env=env)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n"
                           f"{done.stderr}")
    return {"seconds": seconds, "load": load, "stdout": done.stdout}


def evaluate_args(*extra: str) -> list[str]:
    return [KAMFLOW, "evaluate", RULESET, "--as-of", AS_OF.isoformat(), *extra]


def in_process_seconds(stdout: str) -> float:
    """The total ``kamflow evaluate`` prints on its first line: ``… (1.23 s)``."""
    found = re.search(r"\(([0-9.]+) s\)", stdout.splitlines()[0])
    return float(found.group(1)) if found else float("nan")


def moved(stdout: str) -> str:
    found = re.search(r"workflows: ([\d,]+) customers moved, ([\d,]+) tasks created", stdout)
    return f"{found.group(1)} moved, {found.group(2)} tasks" if found else "dry run"


# --- data and databases ----------------------------------------------------------------------

def csv_folder(workdir: Path, size: int) -> Path:
    """The demo data set of ``size`` hospitals as import files (written once)."""
    folder = workdir / f"csv_{size}"
    if not (folder / "visits.csv").exists():
        code = ("import datetime as dt, sys; from pathlib import Path; "
                "from engine.demo.dataset import generate, write_files; "
                f"write_files(generate({size}, 1, as_of=dt.date.fromisoformat('{AS_OF}')), "
                "Path(sys.argv[1]))")
        timed([sys.executable, "-c", code, str(folder)])
    return folder


def database_url(backend: str, name: str, workdir: Path, server: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{workdir / f'{name}.db'}"
    from sqlalchemy.engine import make_url

    return make_url(server).set(database=name).render_as_string(hide_password=False)


def _admin(url: str):
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    return create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")


def drop(url: str) -> None:
    if url.startswith("sqlite"):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{url.removeprefix('sqlite:///')}{suffix}").unlink(missing_ok=True)
        return
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    admin = _admin(url)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" '
                                "WITH (FORCE)"))
    admin.dispose()


def copy_database(source: str, target: str) -> None:
    """``target`` as a copy of ``source`` (which nothing is connected to)."""
    drop(target)
    if source.startswith("sqlite"):
        shutil.copyfile(source.removeprefix("sqlite:///"), target.removeprefix("sqlite:///"))
        return
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    admin = _admin(source)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{make_url(target).database}" '
                                f'TEMPLATE "{make_url(source).database}"'))
    admin.dispose()


def create(url: str) -> None:
    drop(url)
    if url.startswith("sqlite"):
        return
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    admin = _admin(url)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{make_url(url).database}"'))
    admin.dispose()


def settle(url: str, refresh: bool) -> None:
    """Refresh statistics after the imports, and leave nothing in the WAL for the next step."""
    from engine.db import make_engine

    engine = make_engine(url)
    if refresh:
        from engine.statistics import refresh_statistics

        with engine.begin() as connection:
            refresh_statistics(connection)
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                "CHECKPOINT")
    engine.dispose()


def load(url: str, folder: Path, refresh: bool) -> dict:
    """A fresh database loaded as users load one; seconds per step."""
    create(url)
    os.environ.setdefault("KAMFLOW_ADMIN_PASSWORD", "benchmark-admin")
    steps = {"init": timed([KAMFLOW, "init"], url)["seconds"]}
    for kind in KINDS:
        steps[f"import {kind}"] = timed([KAMFLOW, "import", kind, str(folder / f"{kind}.csv")],
                                        url)["seconds"]
    started = time.perf_counter()
    settle(url, refresh)
    steps["statistics"] = time.perf_counter() - started
    return steps


def stored_phases(url: str) -> dict:
    """The phases of the last stored run (``evaluation_runs.timings``)."""
    from sqlalchemy import select

    from engine.db import make_engine
    from engine.models import EvaluationRun

    engine = make_engine(url)
    with engine.connect() as connection:
        timings = connection.scalar(select(EvaluationRun.timings)
                                    .order_by(EvaluationRun.id.desc()).limit(1))
    engine.dispose()
    timings = json.loads(timings) if isinstance(timings, str) else (timings or {})
    return {k: round(v, 2) for k, v in timings.items()}


def counts(url: str) -> dict:
    from sqlalchemy import text

    from engine.db import make_engine

    engine = make_engine(url)
    with engine.connect() as connection:
        found = {t: connection.scalar(text(f"SELECT count(*) FROM {t}"))
                 for t in ("customers", "orders", "payments", "visits", "tasks")}
    engine.dispose()
    return found


# --- one backend and size --------------------------------------------------------------------

def measure(backend: str, size: int, args) -> dict:
    workdir = Path(args.workdir)
    folder = csv_folder(workdir, size)
    base = database_url(backend, f"{args.prefix}_{size}", workdir, args.server)
    copy = database_url(backend, f"{args.prefix}_{size}_run", workdir, args.server)
    steps = load(base, folder, not args.no_statistics)
    print(f"{backend} {size}: loaded {json.dumps({k: round(v, 1) for k, v in steps.items()})}",
          flush=True)
    first, first_phases = [], {}
    for _ in range(args.first_repeat):
        copy_database(base, copy)
        run = timed(evaluate_args(), copy)
        first.append(run | {"in_process": in_process_seconds(run["stdout"]),
                            "moved": moved(run["stdout"])})
        first_phases = stored_phases(copy)
    rows = {"evaluate": [], "dry_run": [], "pandas": [], "help": []}
    for _ in range(args.repeat):
        run = timed(evaluate_args(), copy)
        rows["evaluate"].append(run | {"in_process": in_process_seconds(run["stdout"]),
                                       "moved": moved(run["stdout"])})
        run = timed(evaluate_args("--dry-run"), copy)
        rows["dry_run"].append(run | {"in_process": in_process_seconds(run["stdout"])})
        rows["pandas"].append(timed([sys.executable, str(ROOT / "benchmarks" / "pandas_csv.py"),
                                     str(folder), "--as-of", AS_OF.isoformat()]))
        rows["help"].append(timed([KAMFLOW, "--help"]))
    result = {"backend": backend, "size": size, "steps": steps, "counts": counts(copy),
              "first": first, "first_phases": first_phases, "phases": stored_phases(copy),
              **rows}
    if not args.keep:
        drop(copy)
        drop(base)
    return result


def median(runs: list[dict], key: str = "seconds") -> float:
    return statistics.median(r[key] for r in runs)


def loads(runs: list[dict]) -> str:
    values = [r["load"] for r in runs]
    return f"{min(values):.1f}–{max(values):.1f}"


def report(results: list[dict], args) -> str:
    lines = [
        "# Whole commands: `kamflow evaluate` as users meet it", "",
        f"- machine: {platform.machine()}, {os.cpu_count()} CPUs; Python "
        f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}",
        f"- command: `python benchmarks/whole_commands.py {' '.join(sys.argv[1:])}`",
        f"- data: the demo data set as CSV, loaded by `kamflow import`; ruleset `{RULESET}` as "
        f"of {AS_OF}; statistics refreshed after the imports: "
        f"{'no' if args.no_statistics else 'yes'}",
        "- every time is a whole process's wall time; medians; load = 1-minute load average "
        "at the start of each command (min–max over the runs)", "",
        "| backend | customers | orders | `evaluate` s | in-process s | `--dry-run` s | pandas s "
        "| evaluate / pandas | dry run / pandas | `--help` s | load |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in results:
        pandas = median(r["pandas"])
        every = r["evaluate"] + r["dry_run"] + r["pandas"] + r["help"]
        lines.append(
            f"| {r['backend']} | {r['size']:,} | {r['counts']['orders']:,} | "
            f"{median(r['evaluate']):.2f} | {median(r['evaluate'], 'in_process'):.2f} | "
            f"{median(r['dry_run']):.2f} | {pandas:.2f} | "
            f"{median(r['evaluate']) / pandas:.2f} | {median(r['dry_run']) / pandas:.2f} | "
            f"{median(r['help']):.2f} | {loads(every)} |")
    lines += ["", "First classification (a fresh copy of the imported database each time):", "",
              "| backend | customers | `evaluate` s | in-process s | moves | runs s | load |",
              "|---|---:|---:|---:|---|---|---|"]
    for r in results:
        lines.append(
            f"| {r['backend']} | {r['size']:,} | {median(r['first']):.2f} | "
            f"{median(r['first'], 'in_process'):.2f} | {r['first'][-1]['moved']} | "
            f"{', '.join(format(x['seconds'], '.1f') for x in r['first'])} | {loads(r['first'])} |")
    lines += ["", "Loading (seconds, whole processes) and the stored runs' phases:", ""]
    for r in results:
        lines.append(f"- {r['backend']} {r['size']:,}: " + ", ".join(
            f"{k} {v:.1f}" for k, v in r["steps"].items()))
        lines.append(f"  - first classification: {r['first_phases']}")
        lines.append(f"  - repeated evaluation: {r['phases']}")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="20000,100000")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--first-repeat", type=int, default=3)
    parser.add_argument("--server", default=os.environ.get("KAMFLOW_BENCH_SERVER",
                                                           DEFAULT_SERVER))
    parser.add_argument("--workdir", default=str(ROOT / "instance" / "bench"))
    parser.add_argument("--prefix", default="kamflow_whole",
                        help="name of the databases (two benchmarks on one server differ)")
    parser.add_argument("--no-statistics", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    parser.add_argument("--output")
    args = parser.parse_args()
    Path(args.workdir).mkdir(parents=True, exist_ok=True)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        for backend in backends:
            results.append(measure(backend, size, args))
            row = results[-1]
            print(json.dumps({k: v for k, v in row.items() if k not in ("steps",)},
                             default=str, ensure_ascii=False)[:2000], flush=True)
    text = report(results, args)
    print(text)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
