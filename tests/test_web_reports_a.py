"""The quadrant, segment-count and migration pages: figures in the tables, the chart data,
drill-down links, CSV / XLSX exports (formula cells neutralised), a manager's team only, bad
filters answered 400 at their field, hostile names and labels shown as text."""
from __future__ import annotations

import csv
import io
import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from openpyxl import load_workbook

from engine.reports import quadrant as engine_quadrant
from reports_a_world import RULESET, _world_snapshot, small, world  # noqa: F401
from web_support import app, client, make_app, sign_in, text  # noqa: F401  (fixtures)

HOSTILE = ("<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>")


def island(html: str, element_id: str):
    match = re.search(rf'<script type="application/json" id="{element_id}"[^>]*>(.*?)</script>',
                      html, re.S)
    assert match, f"no data island {element_id}"
    return json.loads(match.group(1))


def signed(client, username="admin"):
    assert sign_in(client, username).status_code in (302, 303)
    return client


def test_pages_listed_on_the_reports_index(client, small):
    body = text(signed(client).get("/reports/"))
    for path in ("/reports/quadrant", "/reports/segments", "/reports/migration"):
        assert f'href="{path}"' in body


def test_quadrant_page_points_links_and_hostile_names(client, small):
    run = small.runs["B"]
    response = signed(client).get(f"/reports/quadrant?ruleset={RULESET}&run={run}")
    body = text(response)
    assert response.status_code == 200
    data = island(body, "quadrant-chart-data")
    assert data["split_x"] == 50.0 and data["split_y"] == 40.0
    points = {p[2]: p for s in data["series"] for p in s["points"]}
    assert len(points) == 6
    d1 = next(p for name, p in points.items() if name.endswith("(D1)"))
    assert d1[:2] == [82.0, 85.0] and d1[3].endswith("/customers/D1")
    star = next(s for s in data["series"] if s["points"][0][2].endswith("(D1)"))
    assert star["color"] == "#d1495b"
    for hostile in HOSTILE:
        assert hostile not in body                       # escaped in the table and the island
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "/static/js/reports.js" in body
    assert "{{7*7}}" in body                             # not evaluated as a template


def test_quadrant_density_above_the_threshold(client, small, monkeypatch):
    monkeypatch.setattr(engine_quadrant, "DENSITY_THRESHOLD", 3)
    run = small.runs["B"]
    body = text(signed(client).get(f"/reports/quadrant?run={run}"))
    data = island(body, "quadrant-chart-data")
    assert sum(c[2] for c in data["cells"]) == 6
    url = data["cells"][0][3]
    query = parse_qs(urlsplit(url).query)
    assert query["scores"][0].startswith(f"{run}:value:") and query["ruleset"] == [RULESET]
    listed = re.findall(r'href="/customers/(D\d)"', text(client.get(url)))
    assert 0 < len(listed) == data["cells"][0][2]


def test_quadrant_density_on_request(client, small):
    body = text(signed(client, "m1").get(f"/reports/quadrant?run={small.runs['B']}&view=density"))
    data = island(body, "quadrant-chart-data")
    assert sum(c[2] for c in data["cells"]) == 3                # the team's D1, D2, D3


def test_segment_counts_page_and_drill_down(client, small):
    run = small.runs["B"]
    response = signed(client).get(f"/reports/segments?run={run}&by=team")
    body = text(response)
    assert response.status_code == 200
    data = island(body, "segments-chart-data")
    assert data["categories"] == ["east", "west"]
    star = next(s for s in data["series"] if s["color"] == "#d1495b")
    assert star["values"] == [2, 0]
    query = parse_qs(urlsplit(star["urls"][0]).query)
    assert query["team"] == ["east"] and query["path"] == [f"{run}:star"]
    listing = text(client.get(star["urls"][0]))
    assert "D1" in listing and "D2" in listing and "D3" not in listing
    assert "66.7%" in body                                  # east: 2 of 3 stars


def test_manager_sees_only_their_team(client, small):
    run = small.runs["B"]
    body = text(signed(client, "m1").get(f"/reports/segments?run={run}&by=owner"))
    data = island(body, "segments-chart-data")
    assert data["categories"] == ["R1 (r1)"]
    body = text(client.get(f"/reports/quadrant?run={run}"))
    names = [p[2] for s in island(body, "quadrant-chart-data")["series"] for p in s["points"]]
    assert sorted(n[-3:-1] for n in names) == ["D1", "D2", "D3"]
    body = text(client.get(f"/reports/migration?run={run}&run_b={small.runs['A']}"))
    assert sum(c[2] for c in island(body, "migration-chart-data")["cells"]) == 3
    assert 'value="r2"' not in body                         # owners offered: the team's
    export = client.get(f"/reports/segments?run={run}&by=owner&format=csv")
    assert "r2" not in export.get_data(as_text=True)


def test_reps_may_not_read_reports(client, small):
    assert signed(client, "r1").get("/reports/migration").status_code == 403


def test_migration_page_matrix_sankey_and_paths(client, small):
    a, b = small.runs["A"], small.runs["B"]
    body = text(signed(client).get(f"/reports/migration?run={b}&run_b={a}&n=3"))
    heat = island(body, "migration-chart-data")
    assert sum(c[2] for c in heat["cells"]) == 6
    question_star = [c for c in heat["cells"]
                     if heat["y"][c[1]] in ("问题客户", "Question mark")
                     and heat["x"][c[0]] in ("明星客户", "Star")]
    assert question_star[0][2] == 1
    assert parse_qs(urlsplit(question_star[0][3]).query)["path"] == [f"{a}:question,{b}:star"]
    listing = text(client.get(question_star[0][3]))
    assert "D2" in listing and "D1 医院" not in listing
    sankey = island(body, "paths-chart-data")
    assert sum(l["value"] for l in sankey["links"] if l["source"].startswith("2026Q4")) == 6
    assert any(n["name"].startswith("2027Q2") for n in sankey["nodes"])
    assert "n=3" in body or 'value="3"' in body


def test_exports_csv_and_xlsx_neutralise_formulas(client, small):
    b = small.runs["B"]
    signed(client)
    response = client.get(f"/reports/quadrant?run={b}&format=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    d3 = next(r for r in rows if r[0] == "D3")
    assert d3[1] == "'=HYPERLINK(\"http://x\")" and d3[2] == "10" and d3[3] == "10"
    response = client.get(f"/reports/quadrant?run={b}&format=xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    d3 = next(r for r in values if r[0] == "D3")
    assert d3[1] == "'=HYPERLINK(\"http://x\")" and d3[2] == 10 and isinstance(d3[2], float | int)
    response = client.get(f"/reports/segments?run={b}&by=region&format=xlsx")
    values = [[c.value for c in row] for row in load_workbook(
        io.BytesIO(response.get_data())).active.iter_rows()]
    zhejiang = next(r for r in values if r[0] == "浙江省")
    assert zhejiang[-1] == 4 and 50 in zhejiang
    response = client.get(f"/reports/migration?run={b}&run_b={small.runs['A']}&format=csv")
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert len(rows) == 7 and all(r[-1] == "1" for r in rows[1:])
    response = client.get(f"/reports/migration?run={b}&n=2&table=paths&format=csv")
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert len(rows) == 7


@pytest.mark.parametrize("query, field", [
    ("run=abc", "run"), ("run=999999", "run"), ("run_b=x", "run_b"),
    ("ruleset=nope", "ruleset"), ("by=colour", "by"), ("n=99", "n"),
    ("format=pdf", "format"), ("view=cloud", "view"), ("region=" + "x" * 300, "region"),
])
def test_bad_filters_answer_400_at_the_field(client, small, query, field):
    signed(client)
    path = "/reports/segments" if field == "by" else \
        "/reports/migration" if field == "n" else "/reports/quadrant"
    response = client.get(f"{path}?{query}")
    body = text(response)
    assert response.status_code == 400
    assert f'id="rf-{field}-errors"' in body
    assert "Traceback" not in body


def test_hostile_labels_are_text(client, small, engine):
    """A team name and a region with markup come out escaped in the form, table and data."""
    from sqlalchemy import update
    from engine.db import transaction
    from engine.models import Customer, User
    with transaction(engine) as session:
        session.execute(update(User).where(User.username == "r2")
                        .values(team=HOSTILE[0], name="{{7*7}}"))
        session.execute(update(Customer).where(Customer.code == "D4").values(region=HOSTILE[1]))
    b = small.runs["B"]
    signed(client)
    for by in ("team", "region", "owner"):
        body = text(client.get(f"/reports/segments?run={b}&by={by}"))
        for hostile in HOSTILE:
            assert hostile not in body
        assert "{{7*7}}" in body or by != "owner"
    data = island(text(client.get(f"/reports/segments?run={b}&by=team")), "segments-chart-data")
    assert HOSTILE[0] in data["categories"]
