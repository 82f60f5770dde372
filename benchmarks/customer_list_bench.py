"""In-process timings of the customer list queries (engine.customers.listing) at 100,000
customers: first page, a filtered page, the last page (keyset), the capped count, for an admin,
a manager and a rep, per sort.

    python benchmarks/customer_list_bench.py [--url DATABASE_URL] [--customers N]
           [--index]   # add ad-hoc indexes first (to measure what they would change)

Without --url, a temporary SQLite file. The database is filled with synthetic users,
customers and one completed run with a score per customer (no real evaluation)."""
from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, insert, select, text

from engine.access import Viewer
from engine.customers.listing import (CustomerFilter, customer_count, customer_page,
                                      encode_cursor)
from engine.db import make_engine, transaction
from engine.models import Customer, CustomerScore, Definition, EvaluationRun, User
from engine.setup import initialize

SEGMENTS = ("star", "cash_cow", "question", "dog")
REGIONS = ("浙江省", "江苏省", "广东省", "山东省", "四川省", "湖北省", "河南省", "福建省")
CITIES = ("杭州市", "宁波市", "南京市", "苏州市", "广州市", "深圳市", "济南市", "成都市",
          "武汉市", "郑州市", "福州市", None)
INDEXES = (
    "CREATE INDEX IF NOT EXISTS bench_customers_owner ON customers (owner_id)",
    "CREATE INDEX IF NOT EXISTS bench_customers_name ON customers (name, id)",
    "CREATE INDEX IF NOT EXISTS bench_customers_city ON customers ((coalesce(city, '')), id)",
    "CREATE INDEX IF NOT EXISTS bench_customers_region ON customers "
    "((coalesce(region, '')), id)",
)


def fill(engine, n: int) -> dict[str, Viewer]:
    initialize(engine, admin_password="bench password 1")
    rng = random.Random(7)
    with transaction(engine) as session:
        managers, reps = [], []
        for t in range(5):
            m = User(username=f"m{t}", name=f"经理{t}", role="manager", team=f"team{t}")
            session.add(m)
            session.flush()
            managers.append(m)
            for r in range(10):
                rep = User(username=f"r{t}_{r}", name=f"代表{t}_{r}", role="rep",
                           team=f"team{t}", manager_id=m.id)
                session.add(rep)
                session.flush()
                reps.append(rep.id)
        version = session.scalar(select(Definition.published_version_id).where(
            Definition.kind == "ruleset", Definition.def_id == "value_potential"))
        run = EvaluationRun(ruleset_id="value_potential", ruleset_version_id=version,
                            as_of=dt.date(2026, 1, 1), status="completed", trigger="cli")
        session.add(run)
        session.flush()
        run_id = run.id
        admin = session.scalar(select(User).where(User.role == "admin"))
        viewers = {"admin": Viewer(admin.id, admin.username, "admin", None),
                   "manager": Viewer(managers[2].id, "m2", "manager", "team2")}
        rep_id = reps[17]
        viewers["rep"] = Viewer(rep_id, "r1_7", "rep", "team1")
    rows = []
    for i in range(n):
        name = f"{rng.choice(CITIES) or ''}第{rng.randint(1, 3000)}人民医院"
        rows.append(dict(code=f"H{i:06d}", name=name, normalized_name=name, type="hospital",
                         region=rng.choice(REGIONS), city=rng.choice(CITIES),
                         owner_id=rng.choice(reps), status="active" if i % 10 else "inactive",
                         profile={}))
    with engine.begin() as connection:
        for start in range(0, n, 10_000):
            connection.execute(insert(Customer.__table__), rows[start:start + 10_000])
        ids = connection.execute(select(Customer.id)).scalars().all()
        scores = [dict(run_id=run_id, customer_id=cid, segment=SEGMENTS[cid % 4],
                       effective_segment=SEGMENTS[cid % 4]) for cid in ids]
        for start in range(0, len(scores), 10_000):
            connection.execute(insert(CustomerScore.__table__), scores[start:start + 10_000])
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("ANALYZE"))
        else:
            connection.execute(text("ANALYZE"))
    return viewers


def timed(fn, repeat=7) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def last_page_cursor(connection, viewer, filters, sort, limit):
    """The cursor whose page is the last one (found by walking once, not timed)."""
    after, previous = None, None
    while True:
        page = customer_page(connection, viewer, filters, sort, after, 500)
        if page.next is None:
            break
        previous, after = after, page.next
    # re-walk the final stretch at the page size: the cursor just before the last `limit` rows
    page = customer_page(connection, viewer, filters, sort, previous, 500)
    rest = customer_page(connection, viewer, filters, sort, after, 500).items if after else []
    tail = (page.items + rest)
    if len(tail) <= limit:
        return previous
    pivot = tail[-limit - 1]
    return _cursor_for(connection, viewer, filters, sort, previous, pivot["code"], limit)


def _cursor_for(connection, viewer, filters, sort, start, code, limit):
    after = start
    while True:
        page = customer_page(connection, viewer, filters, sort, after, 1)
        if page.items[0]["code"] == code:
            return page.next
        after = page.next


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--index", action="store_true")
    args = parser.parse_args()
    url = args.url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    engine = make_engine(url)
    t0 = time.perf_counter()
    viewers = fill(engine, args.customers)
    print(f"{engine.dialect.name}: filled {args.customers:,} customers in "
          f"{time.perf_counter() - t0:.1f} s")
    if args.index:
        with engine.begin() as connection:
            for statement in INDEXES:
                connection.execute(text(statement))
            connection.execute(text("ANALYZE"))
        print("with ad-hoc indexes")
    base = CustomerFilter(ruleset="value_potential")
    with engine.connect() as connection:
        for role, viewer in viewers.items():
            n = customer_count(connection, viewer, base, cap=10**9)[0]
            print(f"\n{role}: {n:,} visible")
            for sort in ("code", "name", "-city", "segment"):
                first = timed(lambda: customer_page(connection, viewer, base, sort, None, 50))
                cursor = last_page_cursor(connection, viewer, base, sort, 50)
                last = timed(lambda: customer_page(connection, viewer, base, sort, cursor, 50))
                assert customer_page(connection, viewer, base, sort, cursor, 50).next is None
                print(f"  sort {sort:8} first page {first:7.1f} ms   last page {last:7.1f} ms")
            filtered = CustomerFilter(ruleset="value_potential", segment="star", city="杭州市")
            print(f"  filtered (star, 杭州市) first page "
                  f"{timed(lambda: customer_page(connection, viewer, filtered)):7.1f} ms")
            q = CustomerFilter(ruleset="value_potential", q="第12")
            print(f"  text search '第12'     first page "
                  f"{timed(lambda: customer_page(connection, viewer, q)):7.1f} ms")
            print(f"  count capped 10,000            "
                  f"{timed(lambda: customer_count(connection, viewer, base)):7.1f} ms")


if __name__ == "__main__":
    main()
