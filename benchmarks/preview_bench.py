"""The studio's preview against a stored evaluation, as whole commands (issue 11 item 5: at
100,000 customers the preview completes within 3× the time of a stored evaluation).

For each backend:

1. a demo database, built once (``--rebuild`` to redo it): ``kamflow demo --customers N
   --no-serve --as-of 2026-03-31`` (data, the default pack, two stored quarterly runs with their
   workflows), then one draft version of the ruleset (the weight of the value axis' first item
   doubled), saved as the studio saves a draft;
2. interleaved, ``--repeat`` times each, every one a whole child process timed from start to
   exit, with the 1-minute load average at its start:

   - ``evaluate``: ``kamflow evaluate value_potential --as-of 2026-03-31`` (stored run, scores,
     workflows applied; after the first repetition nobody moves);
   - ``preview job``: a preview job enqueued beforehand (outside the timing, as the studio's
     button does), then ``kamflow worker --once`` running it (the draft's dry run, the
     published version's dry run, the comparison, the workflows played, golden customers);
   - ``evaluate --draft``: the same preview printed by the CLI.

Medians go to a Markdown table (``--output``), with the machine.

    python benchmarks/preview_bench.py --customers 100000 --repeat 3 \\
        --output /work/notes/bench_preview.md
    python benchmarks/preview_bench.py --customers 2000 --backend sqlite --repeat 1   # quick
"""
from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
RULESET = "value_potential"
AS_OF = "2026-03-31"
WORK = Path(os.environ.get("KAMFLOW_BENCH_DIR", "/tmp/kamflow_preview_bench"))


def database_url(backend: str, customers: int, server: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{WORK / f'preview_{customers}.sqlite'}"
    return server.rsplit("/", 1)[0] + f"/kamflow_preview_bench_{customers}"


def _exists(backend: str, url: str, server: str) -> bool:
    if backend == "sqlite":
        return Path(url.removeprefix("sqlite:///")).exists()
    from sqlalchemy import create_engine, text

    name = url.rsplit("/", 1)[1]
    engine = create_engine(server, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        found = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                   {"n": name}).first()
    engine.dispose()
    return found is not None


def _drop(backend: str, url: str, server: str) -> None:
    if backend == "sqlite":
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
        return
    from sqlalchemy import create_engine, text

    name = url.rsplit("/", 1)[1]
    engine = create_engine(server, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()


def build(backend: str, customers: int, server: str, rebuild: bool) -> str:
    """The demo database of ``customers`` hospitals with one draft of the ruleset."""
    url = database_url(backend, customers, server)
    WORK.mkdir(parents=True, exist_ok=True)
    if _exists(backend, url, server) and not rebuild:
        return url
    _drop(backend, url, server)
    started = time.perf_counter()
    subprocess.run(["kamflow", "demo", "--customers", str(customers), "--no-serve",
                    "--as-of", AS_OF], env=_env(url), check=True, stdout=subprocess.DEVNULL)
    _save_draft(url)
    print(f"built {backend} {customers} in {time.perf_counter() - started:.0f} s", flush=True)
    return url


def _save_draft(url: str) -> None:
    from engine.db import make_engine, transaction
    from engine.definitions import store

    engine = make_engine(url)
    with transaction(engine) as session:
        definition = store.get_definition(session, "ruleset", RULESET)
        published = store.published_version(session, definition)
        content = copy.deepcopy(published.content)
        item = content["axes"]["value"]["items"][0]
        item["weight"] = item["weight"] * 2
        store.add_version(session, definition, content, published.source, "yaml", "bench",
                          note="preview benchmark draft")
    engine.dispose()


def _env(url: str) -> dict[str, str]:
    return {**os.environ, "KAMFLOW_DATABASE_URL": url}


def _enqueue_preview(url: str) -> None:
    from engine.db import make_engine, transaction
    from engine.definitions import store
    from engine.jobs import queue

    engine = make_engine(url)
    with transaction(engine) as session:
        definition = store.get_definition(session, "ruleset", RULESET)
        number = store.latest_version(session, definition).number
        queue.enqueue(session, "dry_run", {"preview": "ruleset", "ruleset": RULESET,
                                           "version": number, "as_of": AS_OF}, "bench")
    engine.dispose()


def _job_outcome(url: str) -> str:
    from sqlalchemy import select

    from engine.db import make_engine, transaction
    from engine.models import Job

    engine = make_engine(url)
    with transaction(engine) as session:
        job = session.scalars(select(Job).order_by(Job.id.desc()).limit(1)).first()
        outcome = job.status if job.status != "failed" else f"failed: {job.error}"
    engine.dispose()
    return outcome


COMMANDS = {
    "evaluate": ["kamflow", "evaluate", RULESET, "--as-of", AS_OF],
    "preview job": ["kamflow", "worker", "--once"],
    "evaluate --draft": ["kamflow", "evaluate", RULESET, "--draft", "--as-of", AS_OF],
}


def timed(name: str, url: str) -> tuple[float, float]:
    """(wall seconds, load average at the start) of one whole command."""
    if name == "preview job":
        _enqueue_preview(url)
    load = os.getloadavg()[0]
    started = time.perf_counter()
    subprocess.run(COMMANDS[name], env=_env(url), check=True, stdout=subprocess.DEVNULL)
    elapsed = time.perf_counter() - started
    if name == "preview job":
        outcome = _job_outcome(url)
        if outcome != "done":
            raise SystemExit(f"the preview job did not finish: {outcome}")
    return elapsed, load


def measure(backend: str, url: str, repeat: int) -> dict[str, list[tuple[float, float]]]:
    found: dict[str, list[tuple[float, float]]] = {name: [] for name in COMMANDS}
    for round_ in range(repeat):
        for name in COMMANDS:
            seconds, load = timed(name, url)
            found[name].append((seconds, load))
            print(f"{backend} round {round_ + 1} {name}: {seconds:.2f} s (load {load:.1f})",
                  flush=True)
    return found


def report(results: dict, customers: int, repeat: int) -> str:
    lines = [f"# Preview benchmark ({customers:,} customers)", "",
             f"Machine: {platform.platform()}, {os.cpu_count()} CPUs, Python "
             f"{platform.python_version()}; run {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M}"
             f" UTC. Whole commands, median of {repeat} (`benchmarks/preview_bench.py`); "
             "load = 1-minute load average at each command's start (min–max).", "",
             "| backend | command | median s | min s | load | preview / evaluate |",
             "|---|---|---:|---:|---|---:|"]
    for backend, found in results.items():
        base = statistics.median(s for s, _ in found["evaluate"])
        for name, runs in found.items():
            seconds = [s for s, _ in runs]
            loads = [l for _, l in runs]
            ratio = "" if name == "evaluate" else f"{statistics.median(seconds) / base:.2f}×"
            lines.append(f"| {backend} | `{' '.join(COMMANDS[name])}` | "
                         f"{statistics.median(seconds):.2f} | {min(seconds):.2f} | "
                         f"{min(loads):.1f}–{max(loads):.1f} | {ratio} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--server", default=os.environ.get("KAMFLOW_BENCH_SERVER",
                                                           DEFAULT_SERVER))
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--output", type=Path)
    parser.add_argument("--report-only", action="store_true",
                        help="Measure nothing: the table of the figures kept from earlier runs.")
    args = parser.parse_args()
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    results = {}
    for backend in backends:
        kept = WORK / f"results_{backend}_{args.customers}.json"
        if not args.report_only:
            url = build(backend, args.customers, args.server, args.rebuild)
            kept.write_text(json.dumps(measure(backend, url, args.repeat)))
        if kept.exists():
            results[backend] = json.loads(kept.read_text())
    text = report(results, args.customers, args.repeat)
    print(text)
    if args.output:
        args.output.write_text(text)


if __name__ == "__main__":
    main()
