"""The web app under load as users meet it (issue 10 item 11): ``kamflow serve`` (gunicorn,
default workers) on 127.0.0.1 against 100,000 customers and their tasks, on SQLite and
PostgreSQL.

For each backend:

1. the database, prepared as users prepare one and kept for the next run (``--rebuild`` makes
   it again): the demo data set written as CSV (``whole_commands.csv_folder``), ``kamflow
   init`` and ``kamflow import KIND FILE`` for every kind (``whole_commands.load``), then
   ``kamflow evaluate`` of every hospital ruleset three months before the as-of date and on it,
   as ``kamflow demo`` does (the first classification creates the tasks, the second moves
   customers between segments); then ``ANALYZE`` of every table (what autovacuum does on a
   PostgreSQL left at its defaults; ``--no-analyze`` leaves it out);
2. passwords by ``kamflow user password USERNAME`` (standard input) for the admin and the rep
   with the most open tasks, an API token by ``kamflow token create`` when that command exists;
3. ``kamflow serve`` as a child process; every session signs in through the ``/login`` form
   (its CSRF token read from the page) and keeps its cookies;
4. per URL: a warm-up, then ``--single`` requests one after another by one user, then
   ``--users`` sessions in a closed loop (each sends its next request when the previous
   answer is read) for ``--seconds``; p50, p95, requests per second and errors (any answer
   other than 200, and failed connections).

The URLs: ``/health`` and ``/`` (for scale), the rep's inbox ``/tasks``, the admin's customer
list ``/customers`` (first page, one city, the last page — the page's own "last" link, or its
"next" links followed to the end), the customer page of the customer with most orders, and
``GET /api/v1/customers`` with a bearer token; with ``--reports`` (issue 12 item 8) each report
under ``/reports`` — its default page, the migration between the oldest and the newest run and
the compliance CSV export — for the admin and for the manager with the most customers (target
1 user p95 ≤ ``--report-target-ms``), each as seen again (figures kept from the first view) and
as a first view (``?fresh=1``, computed on each of ``--fresh-single`` requests). ``--quarters 8`` builds the history the reports need: a
run at each of the 8 quarter ends up to the as-of date, each backdated and followed by the
reps' work as ``kamflow demo`` does (its own database, named ``…_q8``). Markdown goes to stdout
and to ``--output``
(default ``benchmarks/results/web_bench.md``), every figure also to a JSON file beside it.

    python benchmarks/web_bench.py                        # both backends, 100,000 customers
    python benchmarks/web_bench.py --backend sqlite --customers 2000 --seconds 5   # quick
    python benchmarks/web_bench.py --quarters 8 --reports --only report --users 0   # reports
"""
from __future__ import annotations

import argparse
import datetime as dt
import html.parser
import http.client
import http.cookies
import json
import os
import platform
import re
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from whole_commands import (  # noqa: E402  (the benchmark's own folder)
    AS_OF,
    KAMFLOW,
    KINDS,
    ROOT,
    create,
    csv_folder,
    database_url,
)

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
RESULTS = ROOT / "benchmarks" / "results"
EARLIER_MONTHS = 3          # as kamflow demo: a run before the as-of date, then the as-of date
QUARTER_MONTHS = 3          # --quarters N: N quarterly runs up to the as-of date


# --- the database ---------------------------------------------------------------------------

TREE = ROOT      # the code that serves: the checkout, or --tree


def command(*args: str) -> list[str]:
    """``kamflow ARGS`` run from TREE's code (``-c``: TREE comes first on sys.path)."""
    if TREE == ROOT:
        return [KAMFLOW, *args]
    return [sys.executable, "-c", "from web.cli import main; main()", *args]


def child_env(url: str) -> dict:
    return {**os.environ, "PYTHONPATH": str(TREE), "KAMFLOW_DATABASE_URL": url}


def kamflow(url: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(command(*args), input=stdin, capture_output=True, text=True,
                          cwd=TREE, env=child_env(url))


def timed(url: str, *args: str) -> dict:
    """``kamflow ARGS`` as a whole process: its wall time and output; a failure stops all."""
    started = time.perf_counter()
    done = kamflow(url, *args)
    seconds = time.perf_counter() - started
    if done.returncode:
        raise RuntimeError(f"kamflow {' '.join(args)} failed ({done.returncode}):\n"
                           f"{done.stdout}\n{done.stderr}")
    return {"seconds": seconds, "stdout": done.stdout}


def load(url: str, folder: Path) -> dict:
    """``kamflow init`` and ``kamflow import KIND FILE`` of every kind; seconds per step."""
    steps = {"init": timed(url, "init")["seconds"]}
    for kind in KINDS:
        steps[f"import {kind}"] = timed(url, "import", kind, str(folder / f"{kind}.csv"))["seconds"]
        print(f"  import {kind}: {steps[f'import {kind}']:.1f} s", flush=True)
    return steps



def engine_for(url: str):
    from engine.db import make_engine

    return make_engine(url)


def exists(url: str) -> bool:
    """Does the database answer with kamflow's tables in it?"""
    if url.startswith("sqlite") and not Path(url.removeprefix("sqlite:///")).exists():
        return False
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    try:
        engine = engine_for(url)
        with engine.connect() as connection:
            connection.execute(text("SELECT count(*) FROM customers"))
        engine.dispose()
        return True
    except SQLAlchemyError:
        return False


def up_to_date(url: str) -> bool:
    from engine.migrate import current_revision, head_revision

    engine = engine_for(url)
    try:
        return current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def analyze(url: str) -> None:
    """Statistics of every table, and nothing left in SQLite's WAL."""
    from engine.models import Base
    from engine.statistics import refresh_statistics

    engine = engine_for(url)
    with engine.begin() as connection:
        refresh_statistics(connection, list(Base.metadata.tables))
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                "CHECKPOINT")
    engine.dispose()


def months_before(day: dt.date, months: int) -> dt.date:
    from engine.demo.activity import months_before as earlier

    return earlier(day, months)


def hospital_rulesets(url: str) -> list[str]:
    from engine.demo.orchestrate import hospital_rulesets as rulesets

    engine = engine_for(url)
    try:
        return rulesets(engine)
    finally:
        engine.dispose()


def counts(url: str) -> dict:
    from sqlalchemy import text

    engine = engine_for(url)
    with engine.connect() as connection:
        found = {t: connection.scalar(text(f"SELECT count(*) FROM {t}"))
                 for t in ("users", "customers", "orders", "payments", "visits", "tasks")}
        found["open tasks"] = connection.scalar(text(
            "SELECT count(*) FROM tasks WHERE status IN ('open', 'in_progress')"))
    engine.dispose()
    return found


def run_days(quarters: int) -> list[dt.date]:
    """The as-of dates of the runs: 0 quarters — three months before the as-of date and on it;
    N quarters — the N quarter ends up to the as-of date (``kamflow demo`` makes 8)."""
    if not quarters:
        return [months_before(AS_OF, EARLIER_MONTHS), AS_OF]
    return [months_before(AS_OF, QUARTER_MONTHS * q) for q in range(quarters - 1, -1, -1)]


def as_if_on_its_day(url: str, ruleset: str, day: dt.date, next_day: dt.date | None) -> int:
    """What ``kamflow demo`` does after each quarterly run (``engine.demo.follow_up``): the
    run just made moves back to its quarter's date (its times, its tasks' creation and due
    dates), and the reps close the tasks due before the next run as their habits say; how
    many tasks were closed. Without it every run would carry today's date and no task would
    ever be done, which is not the history a quarterly review reports on."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from engine.config import load_settings
    from engine.demo.follow_up import backdate, work_tasks
    from engine.models import EvaluationRun

    engine = engine_for(url)
    try:
        with Session(engine) as session:
            run_id = session.scalar(select(EvaluationRun.id).where(
                EvaluationRun.ruleset_id == ruleset, EvaluationRun.status == "completed")
                .order_by(EvaluationRun.id.desc()).limit(1))
        backdate(engine, run_id, day, load_settings().timezone)
        return work_tasks(engine, next_day, "web_bench") if next_day else 0
    finally:
        engine.dispose()


def build(url: str, size: int, workdir: Path, analyze_after: bool, quarters: int = 0) -> dict:
    """A fresh database loaded and classified as users do it; seconds per step."""
    started = time.perf_counter()
    folder = csv_folder(workdir, size)
    steps = {"csv": time.perf_counter() - started}
    steps |= load(url, folder)
    days = run_days(quarters)
    for ruleset in hospital_rulesets(url):
        for day, next_day in zip(days, [*days[1:], None]):
            run = timed(url, "evaluate", ruleset, "--as-of", day.isoformat())
            steps[f"evaluate {ruleset} {day}"] = run["seconds"]
            print(f"  {run['stdout'].splitlines()[0] if run['stdout'] else ''}", flush=True)
            if quarters:
                begun = time.perf_counter()
                worked = as_if_on_its_day(url, ruleset, day, next_day)
                steps[f"backdate {ruleset} {day}"] = time.perf_counter() - begun
                print(f"  backdated to {day}; {worked:,} tasks done before the next run",
                      flush=True)
    if analyze_after:
        begun = time.perf_counter()
        analyze(url)
        steps["analyze"] = time.perf_counter() - begun
    steps["total"] = time.perf_counter() - started
    return steps


def prepare(backend: str, args) -> tuple[str, dict]:
    """The backend's database (built, or the one kept from the last run) and its record."""
    workdir = Path(args.workdir)
    name = f"{args.prefix}_{args.customers}" + (f"_q{args.quarters}" if args.quarters else "")
    url = database_url(backend, name, workdir, args.server)
    marker = workdir / f"{name}_{backend}.json"
    if not args.rebuild and marker.exists() and exists(url):
        record = json.loads(marker.read_text())
        if not up_to_date(url):
            print(f"{backend}: upgrading the kept database (kamflow init)", flush=True)
            timed(url, "init")
        print(f"{backend}: kept database {name} (built in {record['steps']['total']:.0f} s; "
              "--rebuild makes it again)", flush=True)
        return url, record
    print(f"{backend}: building {name} ({args.customers:,} customers)…", flush=True)
    marker.unlink(missing_ok=True)
    create(url)
    steps = build(url, args.customers, workdir, not args.no_analyze, args.quarters)
    record = {"steps": steps, "counts": counts(url), "analyzed": not args.no_analyze,
              "built": dt.datetime.now().isoformat(timespec="seconds")}
    marker.write_text(json.dumps(record, indent=1))
    print(f"{backend}: built in {steps['total']:.0f} s: "
          f"{json.dumps({k: round(v, 1) for k, v in steps.items()})}", flush=True)
    return url, record


@dataclass
class Subjects:
    """Who signs in and what they open."""

    admin: str
    rep: str
    rep_open_tasks: int
    customer: str
    customer_orders: int
    city: str
    city_customers: int
    manager: str | None = None
    manager_customers: int = 0
    oldest_run: int | None = None       # of the first hospital ruleset (the reports' default)
    newest_run: int | None = None
    runs: int = 0


def subjects(url: str) -> Subjects:
    from sqlalchemy import text

    engine = engine_for(url)
    with engine.connect() as connection:
        admin = connection.scalar(text(
            "SELECT username FROM users WHERE role = 'admin' AND active ORDER BY id LIMIT 1"))
        rep, open_tasks = connection.execute(text(
            "SELECT u.username, count(*) AS n FROM tasks t JOIN users u ON u.id = t.assignee_id "
            "WHERE u.role = 'rep' AND u.active AND t.status IN ('open', 'in_progress') "
            "GROUP BY u.username ORDER BY n DESC, u.username LIMIT 1")).one()
        customer, orders = connection.execute(text(
            "SELECT c.code, o.n FROM (SELECT customer_id, count(*) AS n FROM orders "
            "GROUP BY customer_id) o JOIN customers c ON c.id = o.customer_id "
            "ORDER BY o.n DESC, c.code LIMIT 1")).one()
        city, in_city = connection.execute(text(
            "SELECT city, count(*) AS n FROM customers WHERE city IS NOT NULL "
            "GROUP BY city ORDER BY n DESC, city LIMIT 1")).one()
        manager = connection.execute(text(
            "SELECT m.username, count(c.id) AS n FROM users m "
            "JOIN users u ON u.team = m.team OR u.manager_id = m.id OR u.id = m.id "
            "JOIN customers c ON c.owner_id = u.id "
            "WHERE m.role = 'manager' AND m.active GROUP BY m.username "
            "ORDER BY n DESC, m.username LIMIT 1")).one_or_none()
        runs = connection.execute(text(
            "SELECT min(id), max(id), count(*) FROM evaluation_runs WHERE status = 'completed' "
            "AND ruleset_id = (SELECT ruleset_id FROM evaluation_runs WHERE status = 'completed' "
            "ORDER BY id DESC LIMIT 1)")).one()
    engine.dispose()
    return Subjects(admin, rep, open_tasks, customer, orders, city, in_city,
                    *(manager or (None, 0)), *runs)


REPORTS = ("quadrant", "segments", "migration", "compliance", "conversion", "concentration")


def report_targets(who: Subjects) -> list[Target]:
    """Each report's default page for the admin and the manager with most customers, the
    migration between the oldest and the newest run, and one report's CSV export; each as
    seen again (its figures kept from the first view, ``engine.reports.cache``) and as a
    first view (``?fresh=1``: computed on every request, as after a change to the data or for
    filters nobody has opened yet)."""
    seen_again = []
    for role, name in (("admin", who.admin), ("manager", who.manager)):
        if name is None:
            continue
        scope = "every customer" if role == "admin" else \
            f"{name}: {who.manager_customers:,} customers"
        seen_again += [Target(f"report {report} ({role})", f"/reports/{report}", role, scope)
                       for report in REPORTS]
        if who.oldest_run is not None and who.oldest_run != who.newest_run:
            seen_again.append(Target(
                f"report migration, oldest → newest run ({role})",
                f"/reports/migration?run={who.newest_run}&run_b={who.oldest_run}", role,
                f"runs {who.oldest_run} → {who.newest_run} of {who.runs}"))
        seen_again.append(Target(f"report compliance CSV export ({role})",
                                 "/reports/compliance?format=csv", role, scope))
    first_views = [Target(t.name.replace("report ", "report first view: ", 1),
                          t.path + ("&" if "?" in t.path else "?") + "fresh=1", t.who, t.note,
                          fresh=True) for t in seen_again]
    return seen_again + first_views


# --- accounts -------------------------------------------------------------------------------

def set_password(url: str, username: str) -> str:
    password = "bench-" + secrets.token_urlsafe(12)
    done = kamflow(url, "user", "password", username, stdin=password + "\n")
    if done.returncode:
        raise RuntimeError(f"kamflow user password {username}: {done.stdout}{done.stderr}")
    return password


def api_token(url: str, username: str) -> tuple[str | None, str]:
    """A bearer token from ``kamflow token create``, or None and why not."""
    if kamflow(url, "token", "--help").returncode:
        return None, "`kamflow token` does not exist yet"
    done = kamflow(url, "token", "create", username)
    found = re.search(r"\bkf_[A-Za-z0-9_\-]+", done.stdout + done.stderr)
    if done.returncode or not found:
        return None, f"`kamflow token create {username}` failed: {done.stdout}{done.stderr}"
    return found.group(0), ""


# --- HTTP -----------------------------------------------------------------------------------

class Links(html.parser.HTMLParser):
    """The hidden inputs and the links of a page."""

    def __init__(self):
        super().__init__()
        self.inputs: dict[str, str] = {}
        self.anchors: list[dict] = []
        self._open: dict | None = None

    def handle_starttag(self, tag, attrs):
        attributes = {k: v or "" for k, v in attrs}
        if tag == "input" and attributes.get("type") == "hidden" and attributes.get("name"):
            self.inputs[attributes["name"]] = attributes.get("value", "")
        if tag in ("a", "link") and attributes.get("href"):
            self._open = {**attributes, "text": ""}
            self.anchors.append(self._open)
            if tag == "link":
                self._open = None

    def handle_data(self, data):
        if self._open is not None:
            self._open["text"] += data

    def handle_endtag(self, tag):
        if tag == "a":
            self._open = None


def parse(body: bytes) -> Links:
    links = Links()
    links.feed(body.decode("utf-8", "replace"))
    return links


class Client:
    """One user's session: cookies kept, one connection per request (gunicorn's sync
    workers close each connection after the answer)."""

    def __init__(self, port: int, bearer: str | None = None, timeout: float = 60):
        self.port, self.timeout = port, timeout
        self.cookies: dict[str, str] = {}
        self.headers = {"Accept-Language": "zh-CN,zh;q=0.9"}
        if bearer:
            self.headers["Authorization"] = f"Bearer {bearer}"

    def request(self, method: str, path: str, form: dict | None = None
                ) -> tuple[int, dict, bytes]:
        headers = dict(self.headers)
        body = None
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
            for value in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in http.cookies.SimpleCookie(value).items():
                    if morsel.value and morsel["max-age"] != "0":
                        self.cookies[name] = morsel.value
                    else:
                        self.cookies.pop(name, None)
            return response.status, dict(response.headers), data
        finally:
            connection.close()

    def get(self, path: str) -> tuple[int, dict, bytes]:
        return self.request("GET", path)

    def sign_in(self, username: str, password: str) -> None:
        status, _, page = self.get("/login")
        if status != 200:
            raise RuntimeError(f"GET /login answered {status}")
        form = parse(page).inputs | {"username": username, "password": password}
        status, headers, _ = self.request("POST", "/login", form)
        if status != 302 or "/login" in headers.get("Location", ""):
            raise RuntimeError(f"signing in as {username}: POST /login answered {status}")


def wait_until_up(port: int, process: subprocess.Popen, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"kamflow serve exited ({process.returncode})")
        try:
            status, _, body = Client(port, timeout=5).get("/health")
            if status == 200:
                return
            raise RuntimeError(f"/health answered {status}: {body[:300]!r}")
        except (ConnectionError, socket.timeout, OSError):
            time.sleep(0.3)
    raise RuntimeError("kamflow serve did not answer /health in time")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """``kamflow serve`` as a child process, its log in a file."""

    def __init__(self, url: str, log: Path, workers: int | None):
        self.port = free_port()
        args = command("serve", "--host", "127.0.0.1", "--port", str(self.port))
        if workers:
            args += ["--workers", str(workers)]
        self.log = log
        self._file = log.open("w")
        self.process = subprocess.Popen(args, cwd=TREE, env=child_env(url), stdout=self._file,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_until_up(self.port, self.process)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)      # gunicorn's arbiter stops its workers
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._file.close()

    def workers(self) -> int:
        booted = re.findall(r"Booting worker with pid", self.log.read_text(errors="replace"))
        return len(booted)

    def tracebacks(self) -> int:
        return self.log.read_text(errors="replace").count("Traceback (most recent call last)")


# --- measuring ------------------------------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, user + system CPU seconds) of ``pid`` from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK


class CpuMeter:
    """CPU time of the server: ``kamflow serve`` and every process under it (gunicorn's
    workers, the job worker), and on PostgreSQL the backends connected to the database. Steadier
    than wall time on a shared machine."""

    def __init__(self, root: int, url: str):
        self.root, self.url = root, url
        self.engine = None if url.startswith("sqlite") else engine_for(url)

    def _pids(self) -> set[int]:
        parents: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and (found := _stat(int(entry.name))):
                parents.setdefault(found[0], []).append(int(entry.name))
        pids, todo = {self.root}, [self.root]
        while todo:
            for child in parents.get(todo.pop(), []):
                if child not in pids:
                    pids.add(child)
                    todo.append(child)
        if self.engine is not None:
            from sqlalchemy import text

            with self.engine.connect() as connection:
                pids |= set(connection.scalars(text(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid()")))
        return pids

    def snapshot(self) -> dict[int, float]:
        return {pid: found[1] for pid in self._pids() if (found := _stat(pid))}

    @staticmethod
    def spent(before: dict[int, float], after: dict[int, float]) -> float:
        return sum(max(0.0, seconds - before.get(pid, 0.0)) for pid, seconds in after.items())

    def close(self) -> None:
        if self.engine is not None:
            self.engine.dispose()


@dataclass
class Target:
    name: str
    path: str
    who: str                    # "rep", "admin", "api", "anonymous"
    note: str = ""
    fresh: bool = False         # a report computed on every request (?fresh=1), not kept


@dataclass
class Sample:
    seconds: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    wall: float = 0.0
    cpu: float | None = None
    client_cpu: float | None = None

    def add(self, seconds: float, status: str) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if status == "200":
            self.seconds.append(seconds)
        else:
            self.errors += 1

    @property
    def requests(self) -> int:
        return len(self.seconds) + self.errors

    def summary(self) -> dict:
        ordered = sorted(self.seconds)
        return {"requests": self.requests, "errors": self.errors, "statuses": self.statuses,
                "p50_ms": 1000 * percentile(ordered, 50) if ordered else None,
                "p95_ms": 1000 * percentile(ordered, 95) if ordered else None,
                "max_ms": 1000 * ordered[-1] if ordered else None,
                "rps": self.requests / self.wall if self.wall else None,
                "cpu_ms": (1000 * self.cpu / self.requests
                           if self.cpu is not None and self.requests else None),
                "client_cpu_ms": (1000 * self.client_cpu / self.requests
                                  if self.client_cpu is not None and self.requests else None),
                "seconds": round(self.wall, 2)}


def percentile(ordered: list[float], p: float) -> float:
    """Nearest rank."""
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


def one(client: Client, path: str) -> tuple[float, str]:
    started = time.perf_counter()
    try:
        status = str(client.get(path)[0])
    except (OSError, http.client.HTTPException) as exc:
        status = type(exc).__name__
    return time.perf_counter() - started, status


def single(client: Client, path: str, warmup: int, count: int, meter: CpuMeter) -> Sample:
    for _ in range(warmup):
        one(client, path)
    sample = Sample()
    before, mine = meter.snapshot(), time.process_time()
    started = time.perf_counter()
    for _ in range(count):
        sample.add(*one(client, path))
    sample.wall = time.perf_counter() - started
    sample.client_cpu = time.process_time() - mine
    sample.cpu = meter.spent(before, meter.snapshot())
    return sample


def concurrent(clients: list[Client], path: str, seconds: float, meter: CpuMeter) -> Sample:
    """Each client sends its next request when its last answer is read, until the time is up;
    requests in flight at the end are waited for and counted."""
    sample, lock = Sample(), threading.Lock()
    barrier = threading.Barrier(len(clients) + 1)
    deadline = [0.0]

    def loop(client: Client) -> None:
        barrier.wait()
        while time.perf_counter() < deadline[0]:
            result = one(client, path)
            with lock:
                sample.add(*result)

    threads = [threading.Thread(target=loop, args=(c,), daemon=True) for c in clients]
    for thread in threads:
        thread.start()
    before, mine = meter.snapshot(), time.process_time()
    started = time.perf_counter()
    deadline[0] = started + seconds
    barrier.wait()
    for thread in threads:
        thread.join()
    sample.wall = time.perf_counter() - started
    sample.client_cpu = time.process_time() - mine
    sample.cpu = meter.spent(before, meter.snapshot())
    return sample


# --- the customer list's last page ----------------------------------------------------------

def _rel(anchor: dict) -> set[str]:
    return set(anchor.get("rel", "").split())


def _next_link(path: str, anchors: list[dict]) -> str | None:
    """The page's link to the following page: rel=next, else a link with an ``after=``."""
    for test in (lambda a: "next" in _rel(a), lambda a: "after=" in a["href"]):
        for anchor in anchors:
            if test(anchor):
                return urllib.parse.urljoin(path, anchor["href"])
    return None


def near_the_end(url: str, admin: str, next_path: str) -> str | None:
    """``next_path`` with its ``after`` cursor moved to the start of the admin's last page,
    built as the list builds its cursors (``engine.customers.listing.encode_cursor``) from
    the position of the row before the last ``limit`` in the default order (code, id)."""
    try:
        from engine.customers.listing import DEFAULT_LIMIT, encode_cursor
    except ImportError:
        return None
    from sqlalchemy import func, select

    from engine import access
    from engine.models import Customer, User
    from engine.models.people import CUSTOMER_STATUSES

    parts = urllib.parse.urlsplit(next_path)
    query = urllib.parse.parse_qs(parts.query)
    if "after" not in query:
        return None
    limit = int(query.get("limit", [DEFAULT_LIMIT])[0])
    engine = engine_for(url)
    with engine.connect() as connection:
        user = connection.execute(select(User).where(User.username == admin)).one()
        condition = (access.customers(access.Viewer(user.id, user.username, user.role,
                                                    user.team)),
                     Customer.status.in_(CUSTOMER_STATUSES))
        total = connection.scalar(select(func.count()).select_from(Customer).where(*condition))
        if total <= limit:
            return None
        code, row_id = connection.execute(
            select(Customer.code, Customer.id).where(*condition)
            .order_by(Customer.code, Customer.id).offset(total - limit - 1).limit(1)).one()
    engine.dispose()
    query["after"] = [encode_cursor("code", "asc", code, row_id)]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query,
                                                                                doseq=True)))


def last_page(client: Client, first: str, url: str, admin: str,
              limit_seconds: float = 300) -> tuple[str | None, str]:
    """The path of the list's last page: its own rel=last link; else a cursor built for the
    last page, checked by the page having no next link; else the next links followed to the
    end (up to ``limit_seconds``)."""
    status, _, body = client.get(first)
    if status != 200:
        return None, f"{first} answered {status}"
    anchors = parse(body).anchors
    for anchor in anchors:
        if "last" in _rel(anchor):
            return urllib.parse.urljoin(first, anchor["href"]), "the page's rel=last link"
    following = _next_link(first, anchors)
    if following is None:
        return None, "no link to a next page on the first page"
    path, how = first, "next links followed"
    built = near_the_end(url, admin, following)
    if built:
        path, how = built, "cursor built for the last page"
        status, _, body = client.get(path)
        if status != 200:
            return None, f"the built cursor's page answered {status}"
        anchors = parse(body).anchors
    pages, started = 0, time.monotonic()
    while (following := _next_link(path, anchors)) is not None:
        if time.monotonic() - started > limit_seconds:
            return None, f"still not at the end after {pages} pages in {limit_seconds:.0f} s"
        path = following
        status, _, body = client.get(path)
        if status != 200:
            return None, f"{path} answered {status} after {pages} pages"
        anchors, pages = parse(body).anchors, pages + 1
    return path, how + (f", then {pages} next links" if pages and built else
                        f" through {pages} pages" if pages else ", no next link on it")


# --- one backend ----------------------------------------------------------------------------

def database_version(url: str) -> str:
    if url.startswith("sqlite"):
        return f"SQLite {sqlite3.sqlite_version}"
    from sqlalchemy import text

    engine = engine_for(url)
    with engine.connect() as connection:
        version = connection.scalar(text("SHOW server_version"))
    engine.dispose()
    return f"PostgreSQL {version.split()[0]}"


def run_backend(backend: str, args) -> dict | None:
    url, record = prepare(backend, args)
    if args.build_only:
        return None
    who = subjects(url)
    passwords = {name: set_password(url, name) for name in {who.admin, who.rep, who.manager}
                 if name}
    token, token_note = api_token(url, who.admin)
    city = urllib.parse.quote(who.city)
    targets = [
        Target("health", "/health", "anonymous", "database and schema check, no page"),
        Target("home", "/", "rep"),
        Target("inbox", "/tasks", "rep", f"{who.rep}, {who.rep_open_tasks:,} open tasks"),
        Target("customers, first page", "/customers", "admin", "admin: every customer"),
        Target("customers, one city", f"/customers?{args.city_param}={city}", "admin",
               f"{who.city}: {who.city_customers:,} customers"),
        Target("customers, last page", "", "admin"),
        Target("customer page", f"/customers/{urllib.parse.quote(who.customer)}", "admin",
               f"{who.customer}: {who.customer_orders:,} orders"),
        Target("API customers", "/api/v1/customers", "api", "admin's bearer token"),
    ]
    if args.reports:
        targets += report_targets(who)
    if args.only:
        targets = [t for t in targets if any(o in t.name for o in args.only.split(","))]
    log = Path(args.workdir) / f"serve_{backend}.log"
    server = Server(url, log, args.workers)
    meter = CpuMeter(server.process.pid, url)
    results = []
    try:
        sessions = {"anonymous": lambda: Client(server.port),
                    "api": lambda: Client(server.port, bearer=token)}
        for role, name in (("admin", who.admin), ("rep", who.rep), ("manager", who.manager)):
            if name is None:
                continue

            def signed_in(name=name):
                client = Client(server.port)
                client.sign_in(name, passwords[name])
                return client
            sessions[role] = signed_in
        pools = {}

        def pool(kind: str) -> list[Client]:
            if kind not in pools:
                pools[kind] = [sessions[kind]() for _ in range(args.users)]
            return pools[kind]

        for target in targets:
            if target.who == "api" and token is None:
                results.append({"target": target.__dict__, "skipped": token_note})
                print(f"{backend} {target.name}: skipped ({token_note})", flush=True)
                continue
            if not target.path:
                target.path, how = last_page(pool(target.who)[0], "/customers", url,
                                             who.admin)
                target.note = how
                if target.path is None:
                    results.append({"target": target.__dict__, "skipped": how})
                    print(f"{backend} {target.name}: skipped ({how})", flush=True)
                    continue
            clients = pool(target.who) if args.users else [sessions[target.who]()]
            load_before = os.getloadavg()[0]
            alone = (single(clients[0], target.path, 1, args.fresh_single, meter)
                     if target.fresh else
                     single(clients[0], target.path, args.warmup, args.single, meter))
            row = {"target": dict(target.__dict__), "single": alone.summary(),
                   "load": load_before}
            if args.users and not target.fresh:
                row["concurrent"] = concurrent(clients, target.path, args.seconds,
                                               meter).summary()
            results.append(row)
            print(f"{backend} {target.name} {target.path}: "
                  f"{json.dumps({k: v for k, v in row.items() if k != 'target'})}", flush=True)
        workers, tracebacks = server.workers(), server.tracebacks()
    finally:
        meter.close()
        server.stop()
    return {"backend": backend, "database": database_version(url), "record": record,
            "subjects": who.__dict__, "workers": workers, "tracebacks": tracebacks,
            "results": results, "load": os.getloadavg()[0]}


# --- report ---------------------------------------------------------------------------------

def machine() -> str:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        kib = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        memory = f"{kib / 1024 ** 2:.0f} GiB RAM"
    except (OSError, AttributeError):
        memory = "RAM ?"
    return (f"{model}, {os.cpu_count()} CPUs, {memory}, {platform.system()} "
            f"{platform.machine()}; Python {platform.python_version()}")


def code_label() -> str:
    """The checkout's commit, marked when it has uncommitted changes."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True,
                              text=True).stdout.strip()

    if TREE != ROOT:
        return f"the folder {TREE}"
    dirty = git("status", "--porcelain", "--untracked-files=no")
    return git("rev-parse", "--short", "HEAD") + (" with uncommitted changes" if dirty else "")


def ms(value) -> str:
    return "–" if value is None else f"{value:.0f}" if value >= 10 else f"{value:.1f}"


def verdict(row: dict, args) -> str:
    single, many = row["single"], row.get("concurrent")
    limit = args.report_target_ms if row["target"]["name"].startswith("report") \
        else args.single_target_ms
    ok = single["errors"] == 0 and (single["p95_ms"] or 1e9) <= limit
    if many is not None:
        ok = ok and many["errors"] == 0 and (many["p95_ms"] or 1e9) <= args.concurrent_target_ms
    return "met" if ok else "**missed**"


def runs_text(quarters: int) -> str:
    if not quarters:
        return f"{EARLIER_MONTHS} months before {AS_OF} and on it"
    return (f"{quarters} quarter ends up to {AS_OF}, each run backdated to its date and the "
            "reps' tasks worked between runs as `kamflow demo` does")


def report(runs: list[dict], args, started: float) -> str:
    lines = [
        "# Web pages under load (`benchmarks/web_bench.py`)", "",
        f"- machine: {machine()}; "
        + ", ".join(dict.fromkeys(r["database"] for r in runs))
        + f"; load average (1 min) {os.getloadavg()[0]:.1f} at the end",
        f"- command: `python benchmarks/web_bench.py {' '.join(sys.argv[1:])}`"
        f" ({(time.perf_counter() - started) / 60:.0f} min in all); code served: "
        f"{args.code_label or code_label()}",
        f"- server: `kamflow serve` (gunicorn, sync workers, default count: "
        + ", ".join(f"{r['backend']} {r['workers']}" for r in runs)
        + ") on 127.0.0.1; the load generator runs on the same machine (Python threads, one "
        "connection per request, sessions signed in through `/login`)",
        f"- load: 1 user — {args.warmup} warm-up requests then {args.single} in sequence; "
        f"{args.users} users — closed loop, each session sends its next request when the "
        f"answer is read, for {args.seconds:.0f} s per URL; an error is any answer but 200; "
        "load = the machine's 1-minute load average when the URL's measurement began; server "
        "CPU = user + system time of `kamflow serve` and its processes (and, on PostgreSQL, of "
        "the database's backends) per request, 1 user",
        f"- targets: 1 user p95 ≤ {args.single_target_ms:.0f} ms (reports: ≤ "
        f"{args.report_target_ms:.0f} ms); {args.users} users no error "
        f"and p95 ≤ {args.concurrent_target_ms:.0f} ms",
    ]
    for run in runs:
        c = run["record"]["counts"]
        lines.append(
            f"- {run['backend']} data: {c['customers']:,} customers, {c['tasks']:,} tasks "
            f"({c['open tasks']:,} open), {c['orders']:,} orders, {c['visits']:,} visits, "
            f"{c['users']:,} users; loaded by `kamflow import`, classified by `kamflow "
            f"evaluate` ({runs_text(args.quarters)}); "
            f"{'ANALYZE of every table after' if run['record'].get('analyzed') else 'no ANALYZE'}"
            f"; built in {run['record']['steps']['total'] / 60:.1f} min")
    lines += ["", f"| backend | page | URL | 1 user p50 ms | 1 user p95 ms | 1 user req/s | "
                  f"{args.users} users p50 ms | {args.users} users p95 ms | {args.users} users "
                  "req/s | server CPU ms/req | errors (1 / N) | load | target |",
              "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---|"]
    notes = []
    for run in runs:
        for row in run["results"]:
            t = row["target"]
            label = t["name"] + (f" ({t['note']})" if t.get("note") else "")
            if "skipped" in row:
                lines.append(f"| {run['backend']} | {label} | `{t['path'] or '–'}` | "
                             f"skipped: {row['skipped']} |||||||||| – |")
                continue
            s, m = row["single"], row.get("concurrent") or {}
            errors = f"{s['errors']} / {m.get('errors', '–')}"
            for part, values in (("1 user", s), (f"{args.users} users", m)):
                other = {k: v for k, v in (values.get("statuses") or {}).items() if k != "200"}
                if other:
                    notes.append(f"- {run['backend']} {t['name']}, {part}: answers {other}")
            path = t["path"] if len(t["path"]) <= 60 else t["path"][:57] + "…"
            lines.append(
                f"| {run['backend']} | {label} | `{path}` | {ms(s['p50_ms'])} | "
                f"{ms(s['p95_ms'])} | {s['rps']:.1f} | {ms(m.get('p50_ms'))} | "
                f"{ms(m.get('p95_ms'))} | "
                f"{'–' if m.get('rps') is None else format(m['rps'], '.1f')} | "
                f"{ms(s.get('cpu_ms'))} | {errors} | "
                f"{row['load']:.1f} | {verdict(row, args) if t['who'] != 'anonymous' else '–'} |")
        if run["tracebacks"]:
            notes.append(f"- {run['backend']}: {run['tracebacks']} tracebacks in the server log")
    lines += ["", f"CPU time per request (ms; steadier than wall time on a shared machine). "
                  f"Server: `kamflow serve` and its processes, and PostgreSQL's backends; load "
                  f"generator: this script's threads. Capacity ≈ {os.cpu_count()} CPUs ÷ (server + "
                  f"load generator CPU per request) when nothing else runs; a closed loop of "
                  f"{args.users} users then waits ≈ {args.users} ÷ capacity per request.", "",
              f"| backend | page | server, 1 user | server, {args.users} users | load generator, "
              f"{args.users} users | capacity req/s | {args.users}-user wait s |",
              "|---|---|---:|---:|---:|---:|---:|"]
    for run in runs:
        for row in run["results"]:
            if "skipped" in row or "concurrent" not in row:
                continue
            m = row["concurrent"]
            if m.get("cpu_ms") is None or m.get("client_cpu_ms") is None:
                continue
            capacity = 1000 * os.cpu_count() / (m["cpu_ms"] + m["client_cpu_ms"])
            lines.append(f"| {run['backend']} | {row['target']['name']} | "
                         f"{ms(row['single'].get('cpu_ms'))} | {ms(m['cpu_ms'])} | "
                         f"{ms(m['client_cpu_ms'])} | {capacity:.0f} | "
                         f"{args.users / capacity:.2f} |")
    if notes:
        lines += ["", "Errors:", "", *notes]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--server", default=os.environ.get("KAMFLOW_BENCH_SERVER",
                                                           DEFAULT_SERVER),
                        help="PostgreSQL server URL; the database is named by --prefix")
    parser.add_argument("--prefix", default="kamflow_webbench")
    parser.add_argument("--workdir", default=str(RESULTS / "web_bench"))
    parser.add_argument("--rebuild", action="store_true", help="build the databases again")
    parser.add_argument("--no-analyze", action="store_true")
    parser.add_argument("--quarters", type=int, default=0,
                        help="runs at this many quarter ends up to the as-of date, each "
                        "backdated and followed by the reps' work as kamflow demo does "
                        "(0: two runs, three months apart, as before)")
    parser.add_argument("--build-only", action="store_true", help="prepare the databases only")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: serve's)")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--single", type=int, default=50, help="sequential requests per URL")
    parser.add_argument("--users", type=int, default=50, help="concurrent sessions (0: none)")
    parser.add_argument("--fresh-single", type=int, default=10,
                        help="sequential requests per report first view (?fresh=1)")
    parser.add_argument("--seconds", type=float, default=20, help="closed loop per URL")
    parser.add_argument("--city-param", default="city", help="the list's city filter field")
    parser.add_argument("--only", help="comma-separated parts of page names to measure")
    parser.add_argument("--reports", action="store_true",
                        help="measure the reports under /reports too (admin and manager)")
    parser.add_argument("--single-target-ms", type=float, default=100)
    parser.add_argument("--report-target-ms", type=float, default=300,
                        help="1-user p95 target of the reports")
    parser.add_argument("--concurrent-target-ms", type=float, default=1000)
    parser.add_argument("--output", default=str(RESULTS / "web_bench.md"))
    parser.add_argument("--code-label", help="how the report names the code served (default: "
                        "the checkout's commit)")
    parser.add_argument("--tree", help="serve the code in this folder instead of the checkout "
                        "(e.g. a commit: git archive HEAD | tar -x -C DIR)")
    args = parser.parse_args()
    global TREE
    TREE = Path(args.tree).resolve() if args.tree else ROOT
    sys.path.insert(0, str(TREE))         # the engine read in-process is the served one
    Path(args.workdir).mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("KAMFLOW_ADMIN_PASSWORD", "benchmark-admin-" + secrets.token_hex(4))
    started = time.perf_counter()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    runs = [run_backend(backend, args) for backend in backends]
    if args.build_only:
        return
    text = report(runs, args, started)
    print(text)
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    output.with_suffix(".json").write_text(json.dumps(runs, indent=1, default=str))


if __name__ == "__main__":
    main()
