"""The quadrant, segment-count and migration reports' figures (engine.reports), computed on a
hand-made set of runs with known answers, for an admin and for a manager (their team only)."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from engine.access import Viewer
from engine.customers.listing import CustomerFilter, customer_page
from engine.errors import InvalidInput
from engine.models import EvaluationRun, User
from engine.reports import migration, quadrant, segments
from engine.reports.filters import ReportFilter, resolve_runs
from engine.runs import evaluate_and_follow
from reports_a_world import RULESET, _world_snapshot, small, world  # noqa: F401


def viewer(engine, username: str) -> Viewer:
    with engine.connect() as connection:
        user = connection.execute(select(User.id, User.username, User.role, User.team)
                                  .where(User.username == username)).one()
    return Viewer(user.id, user.username, user.role, user.team)


def listed(engine, who: Viewer, **filters) -> list[str]:
    with engine.connect() as connection:
        page = customer_page(connection, who, CustomerFilter(**filters), limit=500)
    return sorted(item["code"] for item in page.items)


def test_quadrant_points_and_axes(engine, small):
    admin = viewer(engine, "admin")
    run = small.runs["B"]
    with engine.connect() as connection:
        filters = ReportFilter(ruleset=RULESET, run=run)
        axes = quadrant.run_axes(connection, run)
        assert (axes.x, axes.y, axes.split_x, axes.split_y) == ("value", "potential", 50.0, 40.0)
        assert axes.x_label["en"].startswith("Value")
        points = quadrant.points(connection, admin, filters, axes)
        assert quadrant.point_count(connection, admin, filters, axes) == 6
        assert quadrant.more_points_than(connection, admin, filters, axes, 5)
        assert not quadrant.more_points_than(connection, admin, filters, axes, 6)
        m1 = quadrant.points(connection, viewer(engine, "m1"), filters, axes)
    assert [(p["code"], p["x"], p["y"], p["segment"]) for p in points] == [
        ("D1", 82, 85, "star"), ("D2", 60, 75, "star"), ("D3", 10, 10, "dog"),
        ("D4", 30, 90, "question"), ("D5", 15, 20, "dog"), ("D6", 70, 30, "cash_cow")]
    assert [p["code"] for p in m1] == ["D1", "D2", "D3"]          # team east only


def test_quadrant_density_bins_in_sql_and_drills_down(engine, small):
    admin = viewer(engine, "admin")
    run = small.runs["B"]
    with engine.connect() as connection:
        filters = ReportFilter(ruleset=RULESET, run=run)
        axes = quadrant.run_axes(connection, run)
        grid = quadrant.density(connection, admin, filters, axes, bins=2)
        by_city = quadrant.density(connection, admin,
                                   ReportFilter(ruleset=RULESET, run=run, city="杭州市"), axes, 2)
    assert grid["x_edges"] == [10, 46, 82] and grid["y_edges"] == [10, 50, 90]
    # x: D3 10, D5 15, D4 30 | D2 60, D6 70, D1 82;  y: D3 10, D5 20, D6 30 | D2 75, D1 85, D4 90
    assert grid["cells"] == [(0, 0, 2), (0, 1, 1), (1, 0, 1), (1, 1, 2)]
    assert by_city["cells"] == [(0, 0, 1), (1, 0, 1), (1, 1, 1)]   # D5 | D6 | D1
    assert (grid["count"], by_city["count"]) == (6, 3)
    # The lower-left cell's customers, as the report links them (the last bin is open).
    assert listed(engine, admin, scores=f"{run}:value::46.0,{run}:potential::50.0") \
        == ["D3", "D5"]
    assert listed(engine, admin, scores=f"{run}:value:46.0:,{run}:potential:50.0:") \
        == ["D1", "D2"]
    assert listed(engine, viewer(engine, "m2"), scores=f"{run}:value::46.0") == ["D4", "D5"]


def test_segment_counts_by_each_grouping(engine, small):
    admin, m1 = viewer(engine, "admin"), viewer(engine, "m1")
    filters = ReportFilter(ruleset=RULESET, run=small.runs["B"])
    with engine.connect() as connection:
        def counts(who, by, f=filters):
            rows = segments.segment_counts(connection, who, f, by)
            return {(r["key"], r["segment"]): r["count"] for r in rows}

        assert counts(admin, "region") == {("江苏省", "dog"): 1, ("江苏省", "question"): 1,
                                           ("浙江省", "star"): 2, ("浙江省", "dog"): 1,
                                           ("浙江省", "cash_cow"): 1}
        assert counts(admin, "city") == {("南京市", "dog"): 1, ("南京市", "question"): 1,
                                         ("宁波市", "star"): 1, ("杭州市", "star"): 1,
                                         ("杭州市", "dog"): 1, ("杭州市", "cash_cow"): 1}
        assert counts(admin, "team") == {("east", "star"): 2, ("east", "dog"): 1,
                                         ("west", "question"): 1, ("west", "dog"): 1,
                                         ("west", "cash_cow"): 1}
        assert counts(admin, "owner") == {("r1", "star"): 2, ("r1", "dog"): 1,
                                          ("r2", "question"): 1, ("r2", "dog"): 1,
                                          ("r2", "cash_cow"): 1}
        assert counts(m1, "team") == {("east", "star"): 2, ("east", "dog"): 1}
        assert counts(admin, "team", ReportFilter(ruleset=RULESET, run=small.runs["B"],
                                                  region="浙江省")) == {
            ("east", "star"): 2, ("west", "dog"): 1, ("west", "cash_cow"): 1}
        rows = segments.segment_counts(connection, admin, filters, "region")
    table = segments.table(rows, ["star", "cash_cow", "question", "dog"])
    zhejiang = next(g for g in table if g["key"] == "浙江省")
    assert zhejiang["total"] == 4 and zhejiang["shares"] == {"star": 0.5, "dog": 0.25,
                                                            "cash_cow": 0.25}
    with pytest.raises(ValueError):
        segments.segment_counts(None, admin, filters, "colour")


def test_migration_matrix_between_any_two_runs(engine, small):
    admin = viewer(engine, "admin")
    a, b = small.runs["A"], small.runs["B"]
    with engine.connect() as connection:
        def cells(who, run, run_b):
            rows = migration.matrix(connection, who, ReportFilter(ruleset=RULESET, run=run,
                                                                  run_b=run_b))
            return {(r["from"], r["to"]): r["count"] for r in rows}

        assert cells(admin, b, a) == {("star", "star"): 1, ("question", "star"): 1,
                                      ("cash_cow", "dog"): 1, ("dog", "question"): 1,
                                      (None, "dog"): 1, ("star", "cash_cow"): 1}
        assert cells(viewer(engine, "m1"), b, a) == {("star", "star"): 1, ("question", "star"): 1,
                                                     ("cash_cow", "dog"): 1}
        # Backwards, from C to A (any two runs): D5 is not scored in A, so it is not counted.
        assert cells(admin, a, small.runs["C"]) == {("star", "star"): 1, ("star", "question"): 1,
                                                    ("dog", "cash_cow"): 1, ("question", "dog"): 1,
                                                    ("cash_cow", "star"): 1}
    # A cell's drill-down: the customers question → star.
    assert listed(engine, admin, path=f"{a}:question,{b}:star") == ["D2"]
    assert listed(engine, admin, path=f"{a}:,{b}:dog") == ["D5"]
    assert listed(engine, viewer(engine, "m1"), path=f"{a}:,{b}:dog") == []


def test_paths_over_the_last_runs(engine, small):
    admin = viewer(engine, "admin")
    filters = ReportFilter(ruleset=RULESET, run=small.runs["C"])
    with engine.connect() as connection:
        runs = migration.last_runs(connection, filters, 3)
        assert [r["id"] for r in runs] == [small.runs[k] for k in "ABC"]
        found = migration.paths(connection, admin, filters, runs)
        two = migration.paths(connection, admin, filters,
                              migration.last_runs(connection, filters, 2))
        four = migration.last_runs(connection, filters, 4)
    assert [r["id"] for r in four] == [small.world.run_id] + [small.runs[k] for k in "ABC"]
    assert {p["segments"]: p["count"] for p in two} == {
        ("star", "star"): 2, ("dog", "dog"): 2, ("question", "question"): 1,
        ("cash_cow", "cash_cow"): 1}
    assert two[0]["count"] == 2                              # most frequent first
    assert {p["segments"]: p["count"] for p in found} == {
        ("star", "star", "star"): 1, ("question", "star", "star"): 1,
        ("cash_cow", "dog", "dog"): 1, ("dog", "question", "question"): 1,
        (None, "dog", "dog"): 1, ("star", "cash_cow", "cash_cow"): 1}
    links = {(l["step"], l["from"], l["to"]): l["count"] for l in migration.links(found)}
    assert links[(1, "star", "star")] == 2 and links[(0, "cash_cow", "dog")] == 1
    assert sum(n for (step, _, _), n in links.items() if step == 0) == 6
    path = ",".join(f"{small.runs[k]}:{s}" for k, s in zip("ABC", ("question", "star", "star")))
    assert listed(engine, admin, path=path) == ["D2"]


def test_matrix_read_off_the_paths_equals_the_matrix(engine, small):
    """The page reads the matrix off the paths when run_b is one of their runs: the same rows
    as the matrix query, for every viewer, with the not-scored customers too."""
    a, b, c = (small.runs[k] for k in "ABC")
    with engine.connect() as connection:
        for who in ("admin", "m1", "m2"):
            person = viewer(engine, who)
            for run, run_b in ((b, a), (c, a), (c, b)):
                filters = ReportFilter(ruleset=RULESET, run=run, run_b=run_b)
                runs = migration.last_runs(connection, filters, 4)
                found = migration.paths(connection, person, filters, runs)
                step = [r["id"] for r in runs].index(run_b)
                read_off = migration.matrix_from_paths(found, step)
                direct = migration.matrix(connection, person, filters)
                assert sorted(read_off, key=str) == sorted(direct, key=str), (who, run, run_b)
    assert {(r["from"], r["to"]): r["count"] for r in migration.matrix_from_paths(
        [{"segments": ("star", None, "dog"), "count": 2},
         {"segments": ("dog", "star", "dog"), "count": 1}], 0)} == {
        ("star", "dog"): 2, ("dog", "dog"): 1}


def test_report_figures_agree_with_evaluated_runs(engine, world):  # noqa: F811
    """After a real evaluation, an admin's counts equal those the run stored (every customer)."""
    evaluate_and_follow(engine, RULESET, as_of=dt.date(2027, 1, 1))
    admin = viewer(engine, "admin")
    with engine.connect() as connection:
        filters = resolve_runs(connection, ReportFilter(ruleset=RULESET))
        assert filters.run_b == world.run_id
        stored = connection.scalar(select(EvaluationRun.counts)
                                   .where(EvaluationRun.id == filters.run))
        rows = segments.segment_counts(connection, admin, filters, "region")
        cells = migration.matrix(connection, admin, filters)
    by_segment: dict = {}
    for row in rows:
        by_segment[row["segment"]] = by_segment.get(row["segment"], 0) + row["count"]
    assert sum(by_segment.values()) == sum(r["count"] for r in cells) >= 2
    assert by_segment == {k: v for k, v in stored["effective_segments"].items() if v}
    assert sum(by_segment.values()) == stored["customers"]


@pytest.mark.parametrize("field, value", [
    ("path", "x"), ("path", "12"), ("path", ",".join(["1:a"] * 13)),
    ("scores", "1:value:0"), ("scores", "1:va lue:0:1"), ("scores", "1:value:abc:"),
    ("scores", "1:value:nan:"), ("scores", "x:value:0:1"),
])
def test_customer_list_refuses_bad_drill_filters(engine, small, field, value):
    with engine.connect() as connection, pytest.raises(InvalidInput) as caught:
        customer_page(connection, viewer(engine, "admin"), CustomerFilter(**{field: value}))
    assert caught.value.problems[0].path == field


def test_customer_list_team_filter(engine, small):
    admin = viewer(engine, "admin")
    assert listed(engine, admin, team="west", q="D") == ["D4", "D5", "D6"]
    assert listed(engine, viewer(engine, "m1"), team="west") == []
