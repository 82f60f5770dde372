"""The SOP compliance, conversion and value concentration pages: figures, exports, a manager's
team only, bad filters answered 400 at their field, hostile text shown as text."""
from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from engine.db import transaction
from engine.models import Customer, User
from reports_b_world import _world_snapshot, sop_world, world  # noqa: F401
from web_support import app, client, make_app, sign_in, text  # noqa: F401

HOSTILE = "<script>alert(1)</script>"
HOSTILE_ATTR = "\"><img src=x onerror=alert(1)> {{7*7}}"


def runs(sop_world) -> str:
    return f"run={sop_world.runs['R3']}&run_b={sop_world.runs['R1']}"


def signed_in(client, username="admin"):
    response = sign_in(client, username)
    assert response.status_code == 302
    return client


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_compliance_page_shows_the_figures_and_the_customers_behind(client, sop_world):
    signed_in(client)
    page = client.get(f"/reports/compliance?{runs(sop_world)}")
    body = text(page)
    assert page.status_code == 200
    assert "2026-10-01" in body and "2026-12-30" in body
    assert "4 / 6" in body and "3 / 6" in body and "4 / 3" in body      # star, question, dog
    assert "/customers/C1" in body and "/customers/C2" not in body      # C2 is not behind
    assert 'data-chart="bars"' in body
    by_rep = text(client.get(f"/reports/compliance?{runs(sop_world)}&view=owner"))
    assert "owner=r1" in by_rep and "owner=r2" in by_rep


def test_compliance_exports(client, sop_world):
    signed_in(client)
    rows = csv_rows(client.get(f"/reports/compliance?{runs(sop_world)}&view=team&format=csv"))
    assert rows[1][:2] == ["east", "1"] and rows[1][2:4] == ["12", "7"]
    assert rows[2][0] == "west" and rows[2][-1] == "1"
    response = client.get(f"/reports/compliance?{runs(sop_world)}&view=team&format=xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[1][:4] == ("east", 1, 12, 7)


def test_conversion_page_and_export(client, sop_world):
    signed_in(client)
    body = text(client.get(f"/reports/conversion?{runs(sop_world)}"))
    assert "segment=cash_cow" in body and 'data-chart="bars"' in body
    rows = csv_rows(client.get(f"/reports/conversion?{runs(sop_world)}&view=team&format=csv"))
    east = next(r for r in rows if r[0] == "east")
    assert east[2] == "1" and sum(int(v) for v in east[3:]) == 1
    band = csv_rows(client.get(f"/reports/conversion?{runs(sop_world)}&format=csv"))
    assert len(band) == 3                                    # header, 50–80 %, ≥ 80 %


def test_concentration_page_and_exports(client, sop_world):
    signed_in(client)
    query = f"run={sop_world.runs['R1']}"
    body = text(client.get(f"/reports/concentration?{query}"))
    assert 'data-chart="pareto"' in body and "75 %" in body
    # The top 80 % of 2 customers rounds to both of them: they hold all the value, not the
    # 75 % of the curve's last point at or below 80 %.
    row = re.search(r'<tr><th scope="row">80 %</th><td class="num">(\d+)</td>'
                    r'<td class="num">([^<]*)</td></tr>', body)
    assert row and row.groups() == ("2", "100 %")
    rows = csv_rows(client.get(f"/reports/concentration?{query}&format=csv&table=curve"))
    assert rows[-1] == ["1", "2", "1"]
    rows = csv_rows(client.get(f"/reports/concentration?{query}&format=csv&table=segments"))
    assert any(r[1:4] == ["1", "900000", "450000"] for r in rows[1:])
    profit = text(client.get(f"/reports/concentration?{query}&metric=profit"))
    assert 'value="profit" selected' in profit


def test_a_manager_sees_only_their_team(client, sop_world):
    signed_in(client, "m1")
    rows = csv_rows(client.get(f"/reports/compliance?{runs(sop_world)}&view=team&format=csv"))
    assert [r[0] for r in rows[1:]] == ["east"]
    conversion = csv_rows(client.get(f"/reports/conversion?{runs(sop_world)}&view=owner"
                                     "&format=csv"))
    assert [r[0] for r in conversion[1:]] == ["R1 (r1)"]
    curve = csv_rows(client.get(f"/reports/concentration?run={sop_world.runs['R1']}"
                                "&format=csv"))
    assert curve[-1][1] == "1"


@pytest.mark.parametrize("path, field", [
    ("/reports/compliance?run=abc", "run"),
    ("/reports/compliance?from=2026-02-30", "from"),
    ("/reports/compliance?from=2026-12-01&to=2026-11-01", "to"),
    ("/reports/compliance?view=nope", "view"),
    ("/reports/conversion?segment=nope", "segment"),
    ("/reports/conversion?run_b=999999", "run_b"),
    ("/reports/concentration?metric=nope", "metric"),
    ("/reports/concentration?format=pdf", "format"),
])
def test_bad_filters_answer_400_at_their_field(client, sop_world, path, field):
    signed_in(client)
    response = client.get(path)
    assert response.status_code == 400
    assert f'id="rf-{field}-errors"' in text(response)


def test_hostile_text_is_shown_as_text_and_neutralised_in_exports(engine, client, sop_world):
    with transaction(engine) as session:
        session.execute(update(Customer).where(Customer.code == "C1").values(name=HOSTILE))
        session.execute(update(User).where(User.username == "r1")
                        .values(name="=HYPERLINK(\"http://x\")", team=HOSTILE_ATTR))
    signed_in(client)
    for path in (f"/reports/compliance?{runs(sop_world)}",
                 f"/reports/compliance?{runs(sop_world)}&view=team",
                 f"/reports/conversion?{runs(sop_world)}&view=owner",
                 f"/reports/concentration?run={sop_world.runs['R1']}"):
        body = text(client.get(path))
        assert "<script>alert(1)</script>" not in body
        assert "<img src=x" not in body
    body = text(client.get(f"/reports/compliance?{runs(sop_world)}"))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    rows = csv_rows(client.get(f"/reports/compliance?{runs(sop_world)}&view=owner&format=csv"))
    assert rows[1][0].startswith("'=HYPERLINK")


def test_one_run_only_asks_for_a_start_date(client, world):  # noqa: F811
    signed_in(client)
    page = client.get("/reports/compliance")
    assert page.status_code == 200 and 'id="rf-from"' in text(page)
    assert "/customers/" not in text(page).split("report-empty", 1)[-1]
    dated = client.get("/reports/compliance?from=2026-09-01&to=2026-10-15")
    assert dated.status_code == 200 and "2026-09-01" in text(dated)
    conversion = client.get("/reports/conversion")
    assert conversion.status_code == 200
