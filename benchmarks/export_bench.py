"""Benchmark of the two big exports as whole commands: ``kamflow tasks list --format csv`` and
``kamflow scores export -o FILE``, with wall time and the peak RSS of the ``kamflow`` process.

For each backend a database is built the way a user builds one: ``kamflow demo --customers N
--no-serve --as-of 2026-03-31`` (init, generated hospitals, reps, orders, payments and visits
imported through ``kamflow import``'s path, two evaluations, workflows; 100,000 hospitals give
about 280,000 tasks). On PostgreSQL the database is created on the server for the run and
dropped afterwards (``--keep NAME`` keeps it for the next run); the SQLite file stays in ``--workdir`` and is reused
on the next run unless ``--rebuild``.

Each command runs ``--repeat`` times as a child process (``os.wait4`` gives its rusage: peak
RSS is ``ru_maxrss``); the table has the median wall time and the largest peak RSS. With
``--compare REV`` the same commands also run from the source of git revision ``REV``
(extracted with ``git archive``, run with ``PYTHONPATH``) and the outputs are compared byte for
byte.

    python benchmarks/export_bench.py --customers 100000 --repeat 3 --compare 5b160b2
    python benchmarks/export_bench.py --customers 5000 --backend sqlite --repeat 1   # quick
"""
from __future__ import annotations

import argparse
import filecmp
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from engine.models import Customer, CustomerScore, EvaluationRun, Task  # noqa: E402

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
AS_OF = "2026-03-31"
KAMFLOW = [sys.executable, "-c", "import sys; from web.cli import main; sys.exit(main())"]


@dataclass
class Measure:
    seconds: list[float]
    cpu_seconds: list[float]
    peak_rss_mib: float
    output_bytes: int


@dataclass(frozen=True)
class Child:
    seconds: float
    cpu_seconds: float
    peak_rss_mib: float


def run_child(args: list[str], env: dict, stdout_path: Path | None = None) -> Child:
    """Run ``kamflow args`` to completion: wall and CPU (user + system) seconds, peak RSS."""
    with open(stdout_path or os.devnull, "wb") as out:
        started = time.perf_counter()
        # cwd: ``python -c`` puts the working directory first on sys.path, before PYTHONPATH.
        child = subprocess.Popen(KAMFLOW + args, env=env, stdout=out, stderr=subprocess.PIPE,
                                 cwd=env["PYTHONPATH"])
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        error = child.stderr.read().decode()
        child.stderr.close()
    if child.returncode != 0:
        raise SystemExit(f"kamflow {' '.join(args)} failed ({child.returncode}):\n{error}")
    return Child(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)  # Linux: KiB


def environment(url: str, instance: Path, source: Path = ROOT) -> dict:
    env = dict(os.environ, KAMFLOW_DATABASE_URL=url, KAMFLOW_INSTANCE_PATH=str(instance))
    env["PYTHONPATH"] = str(source)
    return env


def build(url: str, instance: Path, customers: int) -> float:
    """``kamflow demo`` into ``url``; the seconds it took."""
    instance.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    run_child(["demo", "--customers", str(customers), "--no-serve", "--as-of", AS_OF],
              environment(url, instance))
    return time.perf_counter() - started


def sizes(url: str) -> dict:
    """Customers, tasks and the latest run's ruleset and rows."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            run_id, ruleset = connection.execute(
                select(EvaluationRun.id, EvaluationRun.ruleset_id)
                .where(EvaluationRun.status == "completed")
                .order_by(EvaluationRun.id.desc()).limit(1)).one()
            return {"customers": connection.scalar(select(func.count()).select_from(Customer)),
                    "tasks": connection.scalar(select(func.count()).select_from(Task)),
                    "ruleset": ruleset,
                    "score_rows": connection.scalar(select(func.count()).select_from(
                        CustomerScore).where(CustomerScore.run_id == run_id))}
    finally:
        engine.dispose()


def commands(ruleset: str, out: Path) -> dict[str, tuple[list[str], Path | None, Path]]:
    """Name → (arguments, file standard output goes to, file the command writes)."""
    tasks_csv, scores_csv = out / "tasks.csv", out / "scores.csv"
    return {"tasks list --format csv": (["tasks", "list", "--format", "csv"], tasks_csv,
                                        tasks_csv),
            "scores export -o FILE": (["scores", "export", "--ruleset", ruleset, "-o",
                                       str(scores_csv)], None, scores_csv)}


def measure(env: dict, ruleset: str, out: Path, repeat: int) -> dict[str, Measure]:
    """Each command ``repeat`` times, and ``kamflow --version`` (the fixed cost of starting)."""
    out.mkdir(parents=True, exist_ok=True)
    startup = out / "version.txt"
    results = {}
    for name, (args, stdout_path, written) in [
            *commands(ruleset, out).items(), ("--version", (["--version"], startup, startup))]:
        runs = [run_child(args, env, stdout_path) for _ in range(repeat)]
        results[name] = Measure([r.seconds for r in runs], [r.cpu_seconds for r in runs],
                                max(r.peak_rss_mib for r in runs), written.stat().st_size)
    return results


def extract(revision: str, folder: Path) -> Path:
    """The source tree of ``revision`` in ``folder`` (``git archive``)."""
    folder.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision],
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def bench_backend(backend: str, url: str, args, workdir: Path, old_source: Path | None
                  ) -> list[str]:
    instance = workdir / f"instance-{backend}-{args.customers}"
    marker = instance / "built"
    built_in = None
    if not marker.exists() or marker.read_text() != url:
        built_in = build(url, instance, args.customers)
        marker.write_text(url)
    counts = sizes(url)
    print(f"{backend}: {counts}" + (f", built in {built_in:.0f} s" if built_in else ""),
          file=sys.stderr)
    if args.build_only:
        return []
    new = measure(environment(url, instance), counts["ruleset"], workdir / f"out-{backend}",
                  args.repeat)
    old = same = None
    if old_source is not None:
        old = measure(environment(url, instance, old_source), counts["ruleset"],
                      workdir / f"old-{backend}", args.repeat)
        same = {name: filecmp.cmp(written, workdir / f"old-{backend}" / written.name,
                                  shallow=False)
                for name, (_, _, written) in commands(counts["ruleset"],
                                                      workdir / f"out-{backend}").items()}
    rows = {"tasks list --format csv": f"{counts['tasks']:,}",
            "scores export -o FILE": f"{counts['score_rows']:,}", "--version": "–"}
    lines = []
    for name, result in new.items():
        cells = [backend, f"`kamflow {name}`", rows[name],
                 f"{result.output_bytes / 2**20:.1f}",
                 f"**{statistics.median(result.seconds):.2f}**",
                 ", ".join(f"{s:.2f}" for s in result.seconds),
                 f"{statistics.median(result.cpu_seconds):.2f}",
                 f"**{result.peak_rss_mib:.0f}**"]
        if old is not None:
            cells += [f"{statistics.median(old[name].seconds):.2f}",
                      f"{statistics.median(old[name].cpu_seconds):.2f}",
                      f"{old[name].peak_rss_mib:.0f}",
                      {True: "yes", False: "NO"}.get(same.get(name), "–")]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def create_pg(server: str, name: str | None = None) -> str:
    """A new database on ``server`` (``name`` is reused when it exists)."""
    name = name or f"kamflow_export_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                   {"name": name})
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def drop_pg(server: str, url: str) -> None:
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" '
                                'WITH (FORCE)'))
    admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--backend", default="sqlite,postgresql")
    parser.add_argument("--server", default=DEFAULT_SERVER, help="PostgreSQL server URL.")
    parser.add_argument("--workdir", type=Path,
                        default=Path(tempfile.gettempdir()) / "kamflow-export-bench")
    parser.add_argument("--rebuild", action="store_true", help="Rebuild the SQLite database.")
    parser.add_argument("--keep", metavar="NAME",
                        help="Build the PostgreSQL database under this name and keep it; a "
                             "later run with the same name reuses it.")
    parser.add_argument("--build-only", action="store_true",
                        help="Build the databases, measure nothing.")
    parser.add_argument("--compare", metavar="REV",
                        help="Also run the commands from git revision REV; compare outputs.")
    args = parser.parse_args()
    workdir = args.workdir.resolve()
    load_before = os.getloadavg()[0]
    if args.rebuild:
        shutil.rmtree(workdir / f"instance-sqlite-{args.customers}", ignore_errors=True)
    old_source = extract(args.compare, workdir / "old-source") if args.compare else None
    header = ["backend", "command", "rows", "output MiB", "median s", "runs s", "CPU s",
              "peak RSS MiB"]
    if args.compare:
        header += [f"{args.compare} median s", f"{args.compare} CPU s",
                   f"{args.compare} peak RSS MiB", "same bytes"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for backend in args.backend.split(","):
        if backend == "sqlite":
            url = f"sqlite:///{workdir / f'instance-sqlite-{args.customers}' / 'kamflow.db'}"
            lines += bench_backend(backend, url, args, workdir, old_source)
        else:
            url = create_pg(args.server, args.keep)
            try:
                lines += bench_backend(backend, url, args, workdir, old_source)
            finally:
                if not args.keep:
                    drop_pg(args.server, url)
    print(f"{args.customers:,} demo hospitals, {args.repeat} runs per command; "
          f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs, "
          f"load average {load_before:.2f} at the start, {os.getloadavg()[0]:.2f} at the end; "
          "CPU s is user + system time of the kamflow process (median)\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
