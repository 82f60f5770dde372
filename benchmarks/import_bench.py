"""Benchmark of ``kamflow import orders``: rows/s and peak memory on SQLite and PostgreSQL.

Generates an orders CSV (plus the customers and products it needs), then for each backend and
each repetition: a fresh database (migrated, customers and products imported), and in a fresh
child process each

- ``import``: ``engine.imports.import_file(engine, 'orders', FILE)`` — read, check, stage, merge;
- ``re-import``: the same file again (every row unchanged, nothing written);
- ``bare``: one DBAPI ``executemany`` of the same rows, already converted to Python values,
  into the same ``orders`` table (the floor for any importer written in Python);

timed by the child around that work alone, with its peak RSS (``ru_maxrss``). Medians go to a
Markdown table (``--output``).

    python benchmarks/import_bench.py --rows 3000000 --repeat 3 --output benchmarks/import.md
    python benchmarks/import_bench.py --rows 100000 --backend sqlite      # a quick run
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
CUSTOMERS = 20_000
PRODUCTS = 200
FIRST_DAY = dt.date(2023, 1, 1)
ORDER_COLUMNS = ("order_id", "customer_id", "date", "product_id", "quantity_milli",
                 "amount_cents", "cost_cents")


# --- data ------------------------------------------------------------------------------------

def order_rows(count: int, seed: int = 7):
    """(order_id, customer code, date, product code, quantity, amount, cost) as CSV text."""
    rng = random.Random(seed)
    for n in range(count):
        cents = rng.randint(-5_000, 5_000_000)
        cost = "" if n % 7 == 0 else f"{cents * 0.6 / 100:.2f}"
        yield (f"SO{n:09d}", f"C{rng.randrange(CUSTOMERS):06d}",
               (FIRST_DAY + dt.timedelta(days=rng.randrange(730))).isoformat(),
               f"P{rng.randrange(PRODUCTS):04d}", f"{rng.randint(1, 50_000) / 1000:g}",
               f"{cents / 100:.2f}", cost)


def write_files(folder: Path, rows: int) -> dict[str, Path]:
    files = {kind: folder / f"{kind}.csv" for kind in ("customers", "products", "orders")}
    with open(files["customers"], "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["code", "name", "type", "region", "city", "grade"])
        writer.writerows((f"C{i:06d}", f"第{i}人民医院", "hospital", "浙江", "杭州", "3A")
                         for i in range(CUSTOMERS))
    with open(files["products"], "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["code", "name", "product_line", "is_new"])
        writer.writerows((f"P{i:04d}", f"产品{i}", f"line{i % 5}", i % 9 == 0)
                         for i in range(PRODUCTS))
    with open(files["orders"], "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["order_id", "customer", "date", "product_code", "quantity", "amount",
                         "cost"])
        writer.writerows(order_rows(rows))
    return files


def _fixed(text: str, places: int) -> int | None:
    if not text:
        return None
    whole, _, fraction = text.partition(".")
    units = abs(int(whole)) * 10 ** places + int(fraction.ljust(places, "0") or 0)
    return -units if text.startswith("-") else units


# --- databases -------------------------------------------------------------------------------

def fresh_database(backend: str, folder: Path, server: str) -> str:
    from sqlalchemy.engine import make_url

    if backend == "sqlite":
        return f"sqlite:///{folder / f'bench_{uuid.uuid4().hex[:8]}.db'}"
    name = f"kamflow_bench_{uuid.uuid4().hex[:8]}"
    _pg_admin(server, f'CREATE DATABASE "{name}"')
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def drop_database(backend: str, url: str, server: str) -> None:
    from sqlalchemy.engine import make_url

    if backend == "sqlite":
        path = Path(make_url(url).database)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        _pg_admin(server, f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


def _pg_admin(server: str, statement: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(statement))
    admin.dispose()


def prepare(url: str, files: dict[str, Path]) -> None:
    """Schema, the default pack (its form), customers and products."""
    from engine.db import make_engine
    from engine.imports import import_file
    from engine.setup import initialize

    engine = make_engine(url)
    initialize(engine, admin_password="bench-only")
    import_file(engine, "products", files["products"])
    import_file(engine, "customers", files["customers"])
    engine.dispose()


# --- measured work (run in a child process) --------------------------------------------------

def run_import(url: str, path: str) -> dict:
    from engine.db import make_engine
    from engine.imports import import_file

    engine = make_engine(url)
    started = time.perf_counter()
    report = import_file(engine, "orders", path)
    seconds = time.perf_counter() - started
    engine.dispose()
    return {"seconds": seconds, "added": report.added, "unchanged": report.unchanged}


def run_bare(url: str, path: str, cache_kib: int | None = None) -> dict:
    """executemany of the rows, converted beforehand, into orders; ids resolved beforehand.
    ``cache_kib``: SQLite page cache (default: the engine's, SQLite's 2 MB)."""
    from sqlalchemy import select

    from engine.db import make_engine
    from engine.models import Customer, Product

    engine = make_engine(url)
    with engine.connect() as connection:
        customers = dict(connection.execute(select(Customer.code, Customer.id)).all())
        products = dict(connection.execute(select(Product.code, Product.id)).all())
    with open(path, newline="", encoding="utf-8") as source:
        reader = csv.reader(source)
        next(reader)
        rows = [(o, customers[c], dt.date.fromisoformat(d) if "postgresql" in url else d,
                 products[p], _fixed(q, 3), _fixed(a, 2), _fixed(k, 2))
                for o, c, d, p, q, a, k in reader]
    marks = "%s" if "postgresql" in url else "?"
    sql = (f"INSERT INTO orders ({', '.join(ORDER_COLUMNS)}) "
           f"VALUES ({', '.join(marks for _ in ORDER_COLUMNS)})")
    raw = engine.raw_connection()
    started = time.perf_counter()
    cursor = raw.cursor()
    if "sqlite" in url:
        if cache_kib:
            cursor.execute(f"PRAGMA cache_size = -{cache_kib}")
        cursor.execute("BEGIN")  # the engine's SQLite connections leave BEGIN to their user
    cursor.executemany(sql, rows)
    raw.commit()
    seconds = time.perf_counter() - started
    raw.close()
    engine.dispose()
    return {"seconds": seconds, "rows": len(rows)}


def run_bare_same_cache(url: str, path: str) -> dict:
    from engine.imports.staging import SQLITE_CACHE_KIB

    return run_bare(url, path, SQLITE_CACHE_KIB)


def child(task: str, url: str, path: str) -> None:
    tasks = {"import": run_import, "bare": run_bare, "bare_cache": run_bare_same_cache}
    result = tasks[task](url, path)
    result["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def measure(task: str, url: str, path: Path) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", task, url, str(path)],
                          check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- report ----------------------------------------------------------------------------------

def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), platform.processor())
    mem_kb = next(int(line.split()[1]) for line in open("/proc/meminfo")
                  if line.startswith("MemTotal"))
    return {"nproc": os.cpu_count(), "ram_gb": round(mem_kb / 1024 ** 2, 1), "cpu": cpu,
            "python": platform.python_version(), "sqlite": sqlite3.sqlite_version}


def postgres_version(server: str) -> str:
    from sqlalchemy import create_engine, text

    engine = create_engine(server)
    with engine.connect() as connection:
        version = connection.execute(text("SHOW server_version")).scalar()
    engine.dispose()
    return version


def bench(backend: str, rows: int, repeat: int, folder: Path, server: str) -> dict:
    files = write_files(folder, rows)
    tasks = ("import", "bare", "bare_cache") if backend == "sqlite" else ("import", "bare")
    runs: dict[str, list[dict]] = {task: [] for task in (*tasks, "reimport")}
    for _ in range(repeat):
        for task in tasks:
            url = fresh_database(backend, folder, server)
            try:
                prepare(url, files)
                runs[task].append(measure(task, url, files["orders"]))
                if task == "import":
                    runs["reimport"].append(measure("import", url, files["orders"]))
            finally:
                drop_database(backend, url, server)
    assert all(r["added"] == rows for r in runs["import"])
    assert all(r["unchanged"] == rows for r in runs["reimport"])

    def median(task: str, key: str) -> float:
        return statistics.median(r[key] for r in runs[task])

    return {"backend": backend, "rows": rows, "repeat": repeat,
            "import_s": median("import", "seconds"), "bare_s": median("bare", "seconds"),
            "bare_cache_s": median("bare_cache", "seconds") if runs.get("bare_cache") else None,
            "reimport_s": median("reimport", "seconds"),
            "import_rss_mb": median("import", "max_rss_mb"),
            "reimport_rss_mb": median("reimport", "max_rss_mb"),
            "bare_rss_mb": median("bare", "max_rss_mb")}


def markdown(results: list[dict], info: dict, command: str) -> str:
    lines = [
        "# Import throughput: `kamflow import orders`", "",
        f"Machine: {info['nproc']} CPUs ({info['cpu']}), {info['ram_gb']} GB RAM; Python "
        f"{info['python']}, SQLite {info['sqlite']}, PostgreSQL {info.get('postgres', '-')} "
        "(local server, default settings, same machine).", "",
        f"Command: `{command}`", "",
        "Medians over the repetitions; each figure is timed inside a fresh child process "
        "around the work alone, on a fresh database holding the 20,000 customers and 200 "
        "products the orders name.", "",
        "- *import*: `import_file(engine, 'orders', FILE)` — reads the CSV, checks every cell "
        "and reference, stages the rows in a temporary table, counts and merges them "
        "(INSERT … SELECT … ON CONFLICT DO UPDATE) in one transaction, checks repeated ids.",
        "- *bare*: one DBAPI `executemany` of the same rows, already parsed and converted to "
        "Python values beforehand (not timed), into the same `orders` table, one transaction, "
        "with the engine's connection settings. On SQLite also *bare, same cache*: with the "
        f"{info['cache_mb']} MB page cache the importer gives its own connection.",
        "- *re-import*: the same file again (every row unchanged, nothing written).",
        "- Peak RSS: the child's `ru_maxrss` (the bare child holds all rows in memory).", "",
        "| backend | rows | import s | import rows/s | bare s | import / bare "
        "| bare, same cache s | import / that | re-import s | import peak RSS MB "
        "| bare peak RSS MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        same = r.get("bare_cache_s")
        same_cells = (f"{same:.1f} | {r['import_s'] / same:.2f}×" if same else "– | –")
        lines.append(
            f"| {r['backend']} | {r['rows']:,} | {r['import_s']:.1f} | "
            f"{r['rows'] / r['import_s']:,.0f} | {r['bare_s']:.1f} | "
            f"{r['import_s'] / r['bare_s']:.2f}× | {same_cells} | {r['reimport_s']:.1f} | "
            f"{r['import_rss_mb']:.0f} | {r['bare_rss_mb']:.0f} |")
    lines += [
        "",
        "What limits it. On SQLite the merge into `orders` costs what the bare insert costs: "
        "both maintain its four indexes (unique `order_id`, `customer_id, date`, `date`, "
        "`product_id`) at random places, which is page-cache bound. The importer's own work is "
        "Python's per-row parsing and checking (CSV, Unicode trimming, fixed-point amounts, "
        "dates, reference lookups: a few µs a row); it runs while a second thread merges the "
        "previous batch (SQLite and psycopg release the GIL inside a statement), so the two "
        "overlap on a 2-core machine. On PostgreSQL the rows are staged with `COPY` and merged "
        "by the server, which beats a row-by-row `executemany`. Memory holds one batch "
        "(10,000 rows), the reference maps (customer and product codes) and, on SQLite, the "
        f"{info['cache_mb']} MB page cache — not the file, so it is flat in the file's size.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(*sys.argv[2:5])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, action="append",
                        help="order lines (repeatable; default 3000000)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--backend", action="append", choices=("sqlite", "postgresql"))
    parser.add_argument("--server", default=os.environ.get("KAMFLOW_BENCH_SERVER",
                                                           DEFAULT_SERVER),
                        help="a PostgreSQL URL whose server may create and drop databases")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--output", type=Path, default=None, help="write the Markdown here")
    args = parser.parse_args()
    backends = args.backend or ["sqlite", "postgresql"]
    info = machine()
    from engine.imports.staging import SQLITE_CACHE_KIB

    info["cache_mb"] = SQLITE_CACHE_KIB // 1024
    if "postgresql" in backends:
        info["postgres"] = postgres_version(args.server)
    results = []
    with tempfile.TemporaryDirectory(dir=args.workdir) as folder:
        for rows in args.rows or [3_000_000]:
            for backend in backends:
                result = bench(backend, rows, args.repeat, Path(folder), args.server)
                print(json.dumps(result), flush=True)
                results.append(result)
    command = "python benchmarks/import_bench.py " + " ".join(sys.argv[1:])
    text = markdown(results, info, command)
    print(text)
    if args.output:
        args.output.write_text(text)


if __name__ == "__main__":
    main()
