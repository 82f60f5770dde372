"""Benchmark of a full stored evaluation (metrics → scores → segments → stored) of the default
pack's ruleset, against a plain pandas script and against the bare aggregate SQL.

For each backend and size, a database is built once (``--rebuild`` to redo it): the default
pack, N hospitals with profiles, about 30 order lines, 6 payments and 10 visits per hospital
(numpy-generated with a fixed seed, bulk loaded: ``executemany`` on SQLite, ``COPY`` on
PostgreSQL). Then, each in a fresh child process timed around the work alone, with the child's
peak RSS (``ru_maxrss``):

- ``engine``: ``engine.evaluation.evaluate(engine, ruleset, as_of)`` — stored, with the
  previous stored run read for migration (older runs are deleted between repetitions);
- ``pandas``: a plain pandas script computing the same scores from the same database: one
  ``read_sql`` per table (orders, products, payments, customers), vectorized group-bys;
- ``sql``: the engine's aggregate queries alone (one GROUP BY per fact table), rows fetched.

The pandas scores are checked against the engine's stored ones (axis scores and segments).

    python benchmarks/eval_bench.py --sizes 10000,30000,100000 --repeat 3 \
        --output benchmarks/evaluation.md
    python benchmarks/eval_bench.py --sizes 10000 --backend sqlite --repeat 1   # quick
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import platform
import resource
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
USER_ID0 = 1000      # after the admin that ``initialize`` creates
ORDERS_PER_CUSTOMER, PAYMENTS_PER_CUSTOMER, VISITS_PER_CUSTOMER = 30, 6, 10
PROVINCES = ["北京", "上海", "广东", "江苏", "浙江", "山东", "河南", "四川", "湖北", "湖南",
             "河北", "福建", "安徽", "辽宁", "陕西", "江西", "重庆", "云南", "广西", "山西",
             "贵州", "吉林", "黑龙江", "天津", "内蒙古", "新疆", "甘肃", "海南", "宁夏",
             "青海", "西藏"]


# --- data ------------------------------------------------------------------------------------

def generate(customers: int, seed: int = 20260331) -> dict:
    """Every table's rows as numpy columns; realistic skew: a third of hospitals dormant."""
    import numpy as np

    rng = np.random.default_rng(seed)
    n = customers
    ids = np.arange(1, n + 1)
    users = 200
    activity = rng.lognormal(0.0, 1.0, n)
    dormant = rng.random(n) < 0.33
    weights = np.where(dormant, 0.0, activity)
    order_count = rng.poisson(weights / weights.mean() * ORDERS_PER_CUSTOMER)
    orders = int(order_count.sum())
    order_customer = np.repeat(ids, order_count)
    day0 = np.datetime64(AS_OF) - np.timedelta64(30 * 30, "D")
    order_day = day0 + rng.integers(0, 30 * 30 + 20, orders).astype("timedelta64[D]")
    amount = np.round(rng.lognormal(8.0, 1.2, orders) * 100).astype(np.int64)
    amount = np.where(rng.random(orders) < 0.03, -amount // 4, amount)
    cost = (amount * rng.uniform(0.4, 0.8, orders)).astype(np.int64)
    cost_null = rng.random(orders) < 0.1
    quantity = rng.integers(1, 200, orders) * 1000
    products = 300
    product_of_order = rng.integers(1, products + 1, orders)
    pay_count = rng.poisson(np.where(dormant, 1.0, PAYMENTS_PER_CUSTOMER * 1.5), n)
    pay_customer = np.repeat(ids, pay_count)
    payments = len(pay_customer)
    invoice_day = day0 + rng.integers(0, 30 * 30, payments).astype("timedelta64[D]")
    paid_null = rng.random(payments) < 0.15
    paid_day = invoice_day + rng.exponential(45, payments).astype("timedelta64[D]")
    visit_customer = rng.integers(1, n + 1, n * VISITS_PER_CUSTOMER)
    visits = len(visit_customer)
    return {
        "n": n, "ids": ids, "users": users, "products": products,
        "product_line": rng.integers(0, 12, products), "product_new": rng.random(products) < .15,
        "region": rng.integers(0, len(PROVINCES), n), "status_inactive": rng.random(n) < .05,
        "owner": rng.integers(1, users + 1, n),
        "grade": rng.integers(0, 6, n), "beds": np.round(rng.lognormal(6.0, 0.9, n)),
        "beds_null": rng.random(n) < 0.1, "plan": rng.integers(0, 4, n),
        "influence": rng.integers(0, 5, n), "openness": rng.integers(0, 4, n),
        "growth": np.round(rng.normal(6, 6, n), 1), "growth_null": rng.random(n) < 0.3,
        "order_customer": order_customer, "order_day": order_day, "amount": amount,
        "cost": cost, "cost_null": cost_null, "quantity": quantity,
        "order_product": product_of_order,
        "pay_customer": pay_customer, "invoice_day": invoice_day,
        "pay_amount": np.round(rng.lognormal(9.0, 1.0, payments) * 100).astype(np.int64),
        "paid_day": paid_day, "paid_null": paid_null,
        "visit_customer": visit_customer,
        "visit_day": day0 + rng.integers(0, 30 * 30, visits).astype("timedelta64[D]"),
        "visit_channel": rng.integers(0, 4, visits), "visit_rep": rng.integers(1, users + 1,
                                                                                visits),
    }


def frames(data: dict) -> dict:
    """The tables as pandas DataFrames in stored form (ids, cents, ISO dates, JSON profiles)."""
    import numpy as np
    import pandas as pd

    grades = ["3A", "3B", "2A", "2B", "1", "none"]
    plans = ["expanding", "stable", "shrinking", None]
    influence = ["national_kol", "regional_speaker", "local", "none", None]
    openness = ["open", "neutral", "locked", None]
    n = data["n"]
    profiles = []
    for i in range(n):
        profile = {"grade": grades[data["grade"][i]]}
        if not data["beds_null"][i]:
            profile["beds"] = int(data["beds"][i])
        for key, options, index in (("development_plan", plans, data["plan"][i]),
                                    ("academic_influence", influence, data["influence"][i]),
                                    ("prescription_openness", openness, data["openness"][i])):
            if options[index] is not None:
                profile[key] = options[index]
        if not data["growth_null"][i]:
            profile["region_growth"] = float(data["growth"][i])
        profiles.append(json.dumps(profile, ensure_ascii=False))
    codes = np.char.add("H", np.char.zfill(data["ids"].astype(str), 6))
    iso = lambda days: np.datetime_as_string(days, unit="D")  # noqa: E731
    channels = np.array(["face_to_face", "phone", "wechat", "meeting"])
    users = data["users"]
    tables = {
        "users": pd.DataFrame({
            "id": USER_ID0 + np.arange(1, users + 1),
            "username": [f"rep{i:03d}" for i in range(1, users + 1)],
            "name": [f"代表{i}" for i in range(1, users + 1)], "role": "rep",
            "locale": "zh", "active": True}),
        "products": pd.DataFrame({
            "id": np.arange(1, data["products"] + 1),
            "code": [f"P{i:04d}" for i in range(1, data["products"] + 1)],
            "name": [f"产品{i}" for i in range(1, data["products"] + 1)],
            "product_line": [f"line{k}" for k in data["product_line"]],
            "is_new": data["product_new"]}),
        "customers": pd.DataFrame({
            "id": data["ids"], "code": codes, "name": np.char.add("医院", codes),
            "normalized_name": np.char.add("医院", codes), "type": "hospital",
            "region": np.array(PROVINCES)[data["region"]], "city": None,
            "owner_id": USER_ID0 + data["owner"],
            "status": np.where(data["status_inactive"], "inactive", "active"),
            "profile": profiles}),
        "orders": pd.DataFrame({
            "order_id": np.char.add("O", np.arange(1, len(data["amount"]) + 1).astype(str)),
            "customer_id": data["order_customer"], "date": iso(data["order_day"]),
            "product_id": data["order_product"], "quantity_milli": data["quantity"],
            "amount_cents": data["amount"],
            "cost_cents": pd.Series(data["cost"], dtype="Int64").mask(data["cost_null"])}),
        "payments": pd.DataFrame({
            "invoice_id": np.char.add("I", np.arange(1, len(data["pay_amount"]) + 1).astype(str)),
            "customer_id": data["pay_customer"], "invoice_date": iso(data["invoice_day"]),
            "amount_cents": data["pay_amount"],
            "paid_date": np.where(data["paid_null"], None, iso(data["paid_day"]))}),
        "visits": pd.DataFrame({
            "visit_id": np.char.add("V", np.arange(1, len(data["visit_day"]) + 1).astype(str)),
            "customer_id": data["visit_customer"], "rep_id": USER_ID0 + data["visit_rep"],
            "date": iso(data["visit_day"]), "channel": channels[data["visit_channel"]]}),
    }
    return tables


def build(url: str, customers: int) -> dict:
    """Migrate, load the default pack, bulk-load the generated tables; row counts."""
    from engine.db import make_engine
    from engine.setup import initialize

    engine = make_engine(url)
    initialize(engine, admin_password="benchmark-admin")
    engine.dispose()
    tables = frames(generate(customers))
    loader = _load_sqlite if url.startswith("sqlite") else _load_postgresql
    loader(url, tables)
    return {name: len(frame) for name, frame in tables.items()}


TABLE_ORDER = ("users", "products", "customers", "orders", "payments", "visits")


def _load_sqlite(url: str, tables: dict) -> None:
    import pandas as pd

    connection = sqlite3.connect(url.removeprefix("sqlite:///"))
    connection.execute("PRAGMA synchronous=OFF")
    for name in TABLE_ORDER:
        frame = tables[name]
        columns = ", ".join(frame.columns)
        marks = ", ".join("?" for _ in frame.columns)
        sql = f"INSERT INTO {name} ({columns}) VALUES ({marks})"
        for start in range(0, len(frame), 200_000):
            part = frame.iloc[start:start + 200_000].astype(object)
            part = part.where(pd.notna(part), None)
            connection.executemany(sql, part.itertuples(index=False, name=None))
        connection.commit()
    connection.execute("ANALYZE")
    connection.commit()
    connection.close()


def _load_postgresql(url: str, tables: dict) -> None:
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as connection:
        for name in TABLE_ORDER:
            frame = tables[name]
            buffer = io.StringIO()
            frame.to_csv(buffer, index=False, header=False, na_rep="\\N")
            with connection.cursor().copy(f"COPY {name} ({', '.join(frame.columns)}) FROM STDIN "
                                          "WITH (FORMAT csv, NULL '\\N')") as copy:
                copy.write(buffer.getvalue())
            if "id" in frame.columns:
                connection.execute(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                   f"(SELECT max(id) FROM {name}))")
        connection.commit()
        connection.autocommit = True
        connection.execute("VACUUM ANALYZE")


# --- the pandas script -----------------------------------------------------------------------
# What a competent analyst would write for the default pack's value-potential model: one read
# per table (facts limited to the 24 months the model looks at), vectorized group-bys, the same
# points, weights, 9-decimal rounding and median splits as the ruleset.

def _months_before(day: dt.date, months: int) -> dt.date:
    import calendar

    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _round9(values):
    """Round half away from zero to 9 decimals (C ``round`` on x·10⁹), as the spec says."""
    import numpy as np
    import pandas as pd

    array = np.asarray(values, dtype=float)
    magnitude = np.abs(array) * 1e9
    floor = np.floor(magnitude)
    rounded = np.where(magnitude < 2.0**52, floor + (magnitude - floor >= 0.5), magnitude)
    result = np.where(array < 0, -1.0, 1.0) * rounded / 1e9
    return pd.Series(result, index=values.index) if isinstance(values, pd.Series) else result


def _percentile(values):
    ranks = values.rank(method="average")
    count = values.notna().sum()
    return 10.0 * (ranks - 1.0) / (count - 1) if count > 1 else ranks * 0 + 10.0


def _bands(values, bands, otherwise):
    import numpy as np

    conditions = [((values >= lo) if lo is not None else True) &
                  ((values <= hi) if hi is not None else True) for lo, hi, _ in bands]
    return np.select(conditions, [p for _, _, p in bands], otherwise)


PROFILE_KEYS = ("beds", "development_plan", "academic_influence", "prescription_openness",
                "region_growth")


def pandas_scores(url: str, as_of: dt.date):
    """customer id → value, potential, segment (a DataFrame), read from the database."""
    import pandas as pd
    from sqlalchemy import create_engine, text

    start, prev_start = _months_before(as_of, 12), _months_before(as_of, 24)
    window = {"a": prev_start, "b": as_of}
    engine = create_engine(url)
    with engine.connect() as c:
        customers = pd.read_sql(text("SELECT id, type, status, profile FROM customers"), c)
        products = pd.read_sql(text("SELECT id, product_line, is_new FROM products"), c)
        orders = pd.read_sql(text("SELECT customer_id, date, product_id, amount_cents, cost_cents "
                                  "FROM orders WHERE date >= :a AND date < :b"), c, params=window)
        payments = pd.read_sql(text("SELECT customer_id, invoice_date, paid_date FROM payments "
                                    "WHERE invoice_date >= :a AND invoice_date < :b"), c,
                               params={"a": start, "b": as_of})
    engine.dispose()
    scope = customers[(customers["type"] == "hospital") & customers["status"].isin(["active", ""])]
    ids = pd.Index(scope["id"], name="customer_id")
    profiles = pd.DataFrame([json.loads(p) if isinstance(p, str) else p for p in scope["profile"]],
                            index=ids)
    return scores_from_frames(profiles, products, orders, payments, as_of)


def scores_from_frames(profiles, products, orders, payments, as_of: dt.date):
    """The model from in-memory tables: ``profiles`` indexed by the in-scope customers' ids
    (the profile fields as columns), ``products`` (id, product_line, is_new), ``orders``
    (customer_id, date, product_id, amount_cents, cost_cents) and ``payments``
    (customer_id, invoice_date, paid_date), dates as ISO text or datetimes."""
    import numpy as np
    import pandas as pd

    start, prev_start = _months_before(as_of, 12), _months_before(as_of, 24)
    ids = profiles.index
    for key in PROFILE_KEYS:
        if key not in profiles:
            profiles[key] = np.nan
    orders = orders[orders["customer_id"].isin(ids)].merge(
        products, left_on="product_id", right_on="id", how="left")
    day = pd.to_datetime(orders["date"])
    current = orders[(day >= pd.Timestamp(start)) & (day < pd.Timestamp(as_of))]
    previous = orders[(day >= pd.Timestamp(prev_start)) & (day < pd.Timestamp(start))]
    by = current.groupby("customer_id")
    m = pd.DataFrame(index=ids)
    m["revenue"] = by["amount_cents"].sum() / 100
    m["profit"] = (current["amount_cents"] - current["cost_cents"]).groupby(
        current["customer_id"]).sum() / 100
    m["order_count"] = by.size()
    m["active_months"] = pd.to_datetime(current["date"]).dt.to_period("M").groupby(
        current["customer_id"]).nunique()
    m["product_lines"] = by["product_line"].nunique()
    new = current[current["is_new"].astype(bool)]
    m["new_revenue"] = new.groupby("customer_id")["amount_cents"].sum() / 100
    m["revenue_prev"] = previous.groupby("customer_id")["amount_cents"].sum() / 100
    m = m.fillna(0.0)
    payments = payments[payments["customer_id"].isin(ids)]
    invoiced_all = pd.to_datetime(payments["invoice_date"])
    payments = payments[(invoiced_all >= pd.Timestamp(start)) &
                        (invoiced_all < pd.Timestamp(as_of))]
    invoiced = pd.to_datetime(payments["invoice_date"])
    paid = pd.to_datetime(payments["paid_date"]).fillna(pd.Timestamp(as_of))
    paid = paid.where(paid <= pd.Timestamp(as_of), pd.Timestamp(as_of))
    m["payment_days"] = (paid - invoiced).dt.days.groupby(payments["customer_id"]).mean()
    with np.errstate(all="ignore"):
        m["aov"] = _round9(m["revenue"] / m["order_count"].where(m["order_count"] != 0))
        m["new_share"] = _round9(m["new_revenue"] / m["revenue"].where(m["revenue"] != 0))
    p = pd.DataFrame(index=ids)
    p["profit"] = _round9(_percentile(m["profit"]).fillna(0))
    p["active_months"] = _bands(m["active_months"], [(10, None, 10), (6, None, 7), (3, None, 4),
                                                     (1, None, 2)], 0)
    p["payment_days"] = np.where(m["payment_days"].isna(), 5, _bands(
        m["payment_days"], [(None, 30, 10), (None, 60, 5), (None, 90, 2)], 0))
    p["aov"] = _round9(_percentile(m["aov"]).fillna(0))
    p["product_lines"] = _round9(10 * np.clip((m["product_lines"] - 0) / 5, 0, 1))
    beds = profiles["beds"].astype(float)
    p["beds"] = np.where(beds.isna(), 0, _bands(beds, [(1500, None, 10), (800, None, 8),
                                                       (500, None, 6), (200, None, 4)], 2))
    maps = {"development_plan": ({"expanding": 10, "stable": 5, "shrinking": 0}, 3),
            "academic_influence": ({"national_kol": 10, "regional_speaker": 5, "local": 2,
                                    "none": 0}, 0),
            "prescription_openness": ({"open": 10, "neutral": 5, "locked": 1}, 3)}
    for key, (table, missing) in maps.items():
        p[key] = profiles[key].map(table).fillna(0).where(profiles[key].notna(), missing)
    p["new_share"] = _round9(10 * np.clip(m["new_share"] / 0.3, 0, 1)).fillna(0)
    growth = profiles["region_growth"].astype(float)
    p["region_growth"] = np.where(growth.isna(), 4, _bands(growth, [(15, None, 10), (8, None, 7),
                                                                    (0, None, 4)], 1))
    out = pd.DataFrame(index=ids)
    value = (35 * p["profit"] + 20 * p["active_months"] + 20 * p["payment_days"] +
             10 * p["aov"] + 15 * p["product_lines"])
    potential = (25 * p["beds"] + 15 * p["development_plan"] + 25 * p["academic_influence"] +
                 15 * p["prescription_openness"] + 10 * p["new_share"] + 10 * p["region_growth"])
    out["value"] = _round9(10 * value / 100)
    out["potential"] = _round9(10 * potential / 100)
    high_value = out["value"] >= out["value"].quantile(0.5)
    high_potential = out["potential"] >= out["potential"].quantile(0.5)
    out["segment"] = np.select([high_value & high_potential, high_value, high_potential],
                               ["star", "cash_cow", "question"], "dog")
    return out


def stored_scores(url: str, run_id: int, scores) -> dict:
    """How the pandas scores compare with the engine's stored run."""
    import pandas as pd
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as c:
        rows = c.execute(text("SELECT customer_id, segment, axes FROM customer_scores "
                              "WHERE run_id = :r"), {"r": run_id}).all()
    engine.dispose()
    stored = pd.DataFrame(
        [(cid, seg, *(lambda a: (a["value"], a["potential"]))(
            json.loads(axes) if isinstance(axes, str) else axes)) for cid, seg, axes in rows],
        columns=["customer_id", "segment", "value", "potential"]).set_index("customer_id")
    joined = stored.join(scores, rsuffix="_pandas", how="outer")
    diff = max((joined["value"] - joined["value_pandas"]).abs().max(),
               (joined["potential"] - joined["potential_pandas"]).abs().max())
    return {"customers": len(joined), "same_segment": int((joined["segment"] ==
                                                           joined["segment_pandas"]).sum()),
            "max_axis_diff": float(diff)}


# --- what the children time ------------------------------------------------------------------

def child_engine(url: str) -> dict:
    from engine.db import make_engine
    from engine.evaluation import evaluate

    engine = make_engine(url)
    started = time.perf_counter()
    result = evaluate(engine, RULESET, as_of=AS_OF, trigger="cli")
    seconds = time.perf_counter() - started
    engine.dispose()
    return {"seconds": seconds, "run_id": result.run_id, "customers": len(result.population),
            "timings": {k: round(v, 3) for k, v in result.timings.items()}}


def child_sql(url: str) -> dict:
    from sqlalchemy.orm import Session

    from engine.db import make_engine
    from engine.definitions.ruleset_specs import AggregateMetric
    from engine.evaluation.aggregates import table_queries
    from engine.evaluation.loading import load_ruleset
    from engine.evaluation.scope import scope_ids

    engine = make_engine(url)
    with Session(engine) as session:
        spec = load_ruleset(session, RULESET).spec
    queries = table_queries([m for m in spec.metrics if isinstance(m, AggregateMetric)], AS_OF)
    started = time.perf_counter()
    rows = 0
    with engine.connect() as connection:
        for query in queries:
            rows += len(connection.execute(query.select(scope_ids(spec.applies_to))).all())
    seconds = time.perf_counter() - started
    engine.dispose()
    return {"seconds": seconds, "rows": rows}


def child_pandas(url: str, check_run: int | None) -> dict:
    started = time.perf_counter()
    scores = pandas_scores(url, AS_OF)
    seconds = time.perf_counter() - started
    out = {"seconds": seconds, "customers": len(scores)}
    if check_run is not None:
        out["agreement"] = stored_scores(url, check_run, scores)
    return out


def child_main(mode: str, url: str, check_run: str | None) -> None:
    run = {"engine": child_engine, "sql": child_sql}
    result = (child_pandas(url, int(check_run) if check_run else None) if mode == "pandas"
              else run[mode](url))
    result["max_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


# --- the parent ------------------------------------------------------------------------------

def in_child(mode: str, url: str, check_run: int | None = None) -> dict:
    args = [sys.executable, __file__, "--child", mode, "--url", url]
    if check_run is not None:
        args += ["--check-run", str(check_run)]
    done = subprocess.run(args, capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    if done.returncode != 0:
        raise RuntimeError(f"{mode} child failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def database_url(backend: str, size: int, workdir: Path, server: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{workdir / f'eval_{size}.db'}"
    from sqlalchemy.engine import make_url

    return make_url(server).set(database=f"kamflow_eval_bench_{size}").render_as_string(
        hide_password=False)


def build_in_child(url: str, size: int) -> dict:
    """Build in a child process, so that this process (whose peak RSS every child inherits
    through fork) never holds the generated data."""
    done = subprocess.run([sys.executable, __file__, "--build", str(size), "--url", url],
                          capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    if done.returncode != 0:
        raise RuntimeError(f"building {url} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def prepare(backend: str, url: str, size: int, rebuild: bool) -> dict | None:
    """Build the database unless it exists; the row counts when built."""
    if backend == "sqlite":
        path = Path(url.removeprefix("sqlite:///"))
        if path.exists() and not rebuild:
            return None
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return build_in_child(url, size)
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                   {"n": name})
        if exists and not rebuild:
            admin.dispose()
            return None
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return build_in_child(url, size)


def keep_last_run(url: str) -> None:
    """Delete every stored run but the last, so each timed run reads one previous run."""
    from sqlalchemy import delete, func, select

    from engine.db import make_engine
    from engine.models import CustomerScore, EvaluationRun

    engine = make_engine(url)
    with engine.begin() as connection:
        last = connection.scalar(select(func.max(EvaluationRun.id)))
        if last is not None:
            connection.execute(delete(CustomerScore).where(CustomerScore.run_id != last))
            connection.execute(delete(EvaluationRun).where(EvaluationRun.id != last))
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    else:
        # Without it the deleted rows' dead tuples (and autovacuum) weigh on the next run.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE customer_scores")
            connection.exec_driver_sql("CHECKPOINT")
    engine.dispose()


def measure(backend: str, url: str, repeat: int) -> dict:
    keep_last_run(url)
    in_child("engine", url)                    # warm-up: the timed runs have a previous run
    results = {"engine": [], "pandas": [], "sql": []}
    for _ in range(repeat):
        keep_last_run(url)
        results["engine"].append(in_child("engine", url))
        results["sql"].append(in_child("sql", url))
        results["pandas"].append(in_child("pandas", url, results["engine"][-1]["run_id"]))
    return results


def summarize(results: dict) -> dict:
    def median(mode, key):
        return statistics.median(r[key] for r in results[mode])

    engine_s, pandas_s, sql_s = (median(m, "seconds") for m in ("engine", "pandas", "sql"))
    return {"engine_s": engine_s, "pandas_s": pandas_s, "sql_s": sql_s,
            "engine_mib": median("engine", "max_rss_mib"),
            "pandas_mib": median("pandas", "max_rss_mib"),
            "sql_mib": median("sql", "max_rss_mib"),
            "vs_pandas": engine_s / pandas_s, "vs_sql": engine_s / sql_s,
            "agreement": results["pandas"][-1].get("agreement"),
            "phases": results["engine"][-1]["timings"]}


def report(rows: list[dict], counts: dict, args) -> str:
    lines = [
        "# Evaluation benchmark", "",
        f"- machine: {platform.machine()}, {os.cpu_count()} CPUs, "
        f"{platform.processor() or platform.platform()}; Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}",
        f"- command: `python benchmarks/eval_bench.py {' '.join(sys.argv[1:])}`",
        f"- ruleset `{RULESET}` as of {AS_OF}; medians of {args.repeat} repetitions, each mode "
        "in a fresh child process; peak memory is the child's `ru_maxrss`.", "",
        "| backend | customers | orders | payments | visits | engine s | pandas s | bare SQL s "
        "| engine / pandas | engine / SQL | engine MiB | pandas MiB | scores agree |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for row in rows:
        c = counts.get((row["backend"], row["size"]), {})
        agreement = row["agreement"]
        agree = "—" if agreement is None else (
            f"{agreement['same_segment']}/{agreement['customers']} segments, max axis "
            f"diff {agreement['max_axis_diff']:g}")
        lines.append(
            f"| {row['backend']} | {row['size']:,} | {c.get('orders', 0):,} | "
            f"{c.get('payments', 0):,} | {c.get('visits', 0):,} | {row['engine_s']:.2f} | "
            f"{row['pandas_s']:.2f} | {row['sql_s']:.2f} | {row['vs_pandas']:.2f} | "
            f"{row['vs_sql']:.2f} | {row['engine_mib']:.0f} | {row['pandas_mib']:.0f} | {agree} |")
    lines += ["", "Engine phases of the last run (seconds):", ""]
    for row in rows:
        lines.append(f"- {row['backend']} {row['size']:,}: " + ", ".join(
            f"{k} {v}" for k, v in row["phases"].items()))
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,30000,100000")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--server", default=os.environ.get("KAMFLOW_BENCH_SERVER",
                                                           DEFAULT_SERVER))
    parser.add_argument("--workdir", default=str(ROOT / "instance" / "bench"))
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--output")
    parser.add_argument("--child", choices=["engine", "pandas", "sql"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--check-run", help=argparse.SUPPRESS)
    parser.add_argument("--build", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        print(json.dumps(build(args.url, args.build)))
        return
    if args.child:
        child_main(args.child, args.url, args.check_run)
        return
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    rows, counts = [], {}
    for backend in backends:
        for size in (int(s) for s in args.sizes.split(",")):
            url = database_url(backend, size, workdir, args.server)
            started = time.perf_counter()
            built = prepare(backend, url, size, args.rebuild)
            counts[(backend, size)] = built or table_counts(url)
            print(f"{backend} {size}: data ready in {time.perf_counter() - started:.1f} s "
                  f"{counts[(backend, size)]}", flush=True)
            row = summarize(measure(backend, url, args.repeat)) | {"backend": backend,
                                                                   "size": size}
            rows.append(row)
            print(json.dumps(row, ensure_ascii=False), flush=True)
    text = report(rows, counts, args)
    print(text)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")


def table_counts(url: str) -> dict:
    from sqlalchemy import text

    from engine.db import make_engine

    engine = make_engine(url)
    with engine.connect() as connection:
        counts = {t: connection.scalar(text(f"SELECT count(*) FROM {t}"))
                  for t in ("customers", "orders", "payments", "visits")}
    engine.dispose()
    return counts


if __name__ == "__main__":
    main()
