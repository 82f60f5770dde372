"""Where one page's time goes: the app in-process (Flask's test client, no server), signed in
through ``/login`` like ``web_bench.py``, the page requested ``--repeat`` times under cProfile;
prints the wall time per request, the SQL statements' count and time per request (SQLAlchemy
cursor events), and the functions with the most cumulative time.

    KAMFLOW_DATABASE_URL=sqlite:///benchmarks/results/web_bench/kamflow_webbench_100000.db \\
        python benchmarks/web_profile.py /customers --user admin --password PASSWORD
    … /api/v1/customers --token kf_…
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from web_bench import parse  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--token", help="API bearer token instead of signing in")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--tree", help="import the app from this folder")
    parser.add_argument("--full-sql", action="store_true", help="print whole statements")
    args = parser.parse_args()
    if args.tree:
        sys.path.insert(0, str(Path(args.tree).resolve()))
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from web import create_app

    statements: dict[str, list[float]] = defaultdict(list)
    counting = [False]

    @event.listens_for(Engine, "before_cursor_execute")
    def started(conn, cursor, statement, parameters, context, executemany):
        conn.info.setdefault("kamflow_profile", []).append(time.perf_counter())

    @event.listens_for(Engine, "after_cursor_execute")
    def ended(conn, cursor, statement, parameters, context, executemany):
        begun = conn.info["kamflow_profile"].pop()
        if counting[0]:
            key = " ".join(statement.split())
            statements[key if args.full_sql else key[:160]].append(time.perf_counter() - begun)

    app = create_app()
    client = app.test_client()
    headers = {"Accept-Language": "zh-CN"}
    if args.token:
        headers["Authorization"] = f"Bearer {args.token}"
    else:
        page = client.get("/login")
        form = parse(page.data).inputs | {"username": args.user, "password": args.password}
        answer = client.post("/login", data=form)
        if answer.status_code != 302:
            raise SystemExit(f"signing in answered {answer.status_code}")
    for _ in range(3):
        status = client.get(args.path, headers=headers).status_code
    if status != 200:
        raise SystemExit(f"{args.path} answered {status}")
    counting[0] = True
    profile = cProfile.Profile()
    started_at = time.perf_counter()
    profile.enable()
    for _ in range(args.repeat):
        client.get(args.path, headers=headers)
    profile.disable()
    wall = (time.perf_counter() - started_at) / args.repeat
    sql = sum(sum(v) for v in statements.values()) / args.repeat
    count = sum(len(v) for v in statements.values()) / args.repeat
    print(f"{args.path}: {1000 * wall:.1f} ms per request under the profiler; SQL "
          f"{1000 * sql:.1f} ms in {count:.0f} statements per request")
    for statement, times in sorted(statements.items(), key=lambda kv: -sum(kv[1]))[:10]:
        print(f"  {1000 * sum(times) / args.repeat:7.1f} ms  x{len(times) / args.repeat:g}  "
              f"{statement}")
    pstats.Stats(profile).sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
