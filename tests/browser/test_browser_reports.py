"""The reports in the browser (issue 12): a manager drills down from a migration cell to its
customers and opens one; an admin uploads a bad orders file (row problems, nothing imported),
then a good one, imports it, runs an evaluation from /runs and sees the segment counts change;
every report at 1280 and 375 px in zh and en passes ``page_problems`` with its chart drawn.

The web test world has one run of two scored customers. This module's server gets more: ten
hospitals (``H01``…``H10``, half r1's in team east, half r2's in team west) with orders, and
two more runs through engine calls (``grow_world``), so that migration has something to show:
between run 2 and run 3, ``H02`` buys much more (its value rises) and ``H09``'s profile turns
(its potential falls).
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pytest

from browser_support import check_page, page_problems

pytestmark = pytest.mark.browser

RULESET = "value_potential"
RUN_2_AS_OF = dt.date(2026, 10, 15)
RUN_3_AS_OF = dt.date(2026, 11, 1)
RUN_4_AS_OF = dt.date(2026, 11, 20)      # the run the admin starts from /runs
WIDTHS = {"desktop": 1280, "phone": 375}

# code, owner, city, profile (beds, plan, influence, openness), yuan of orders per month
HOSPITALS = (
    ("H01", "r1", "杭州市", (1600, "expanding", "national_kol", "open"), 400_000),
    ("H02", "r1", "杭州市", (1300, "expanding", "regional_speaker", "open"), 20_000),
    ("H03", "r1", "宁波市", (400, "stable", "local", "neutral"), 350_000),
    ("H04", "r1", "宁波市", (250, "shrinking", "none", "locked"), 15_000),
    ("H05", "r1", "温州市", (900, "stable", "regional_speaker", "neutral"), 120_000),
    ("H06", "r2", "杭州市", (1500, "expanding", "national_kol", "neutral"), 60_000),
    ("H07", "r2", "宁波市", (300, "stable", "none", "locked"), 280_000),
    ("H08", "r2", "温州市", (600, "shrinking", "local", "neutral"), 10_000),
    ("H09", "r2", "温州市", (1400, "expanding", "national_kol", "open"), 300_000),
    ("H10", "r2", "杭州市", (200, "stable", "local", "locked"), 90_000),
)


@dataclass
class Grown:
    runs: list[int]          # the runs of RULESET, oldest first


def _profile(beds: int, plan: str, influence: str, openness: str) -> dict:
    return {"grade": "3A", "beds": beds, "development_plan": plan,
            "academic_influence": influence, "prescription_openness": openness,
            "region_growth": 0.1}


def _order(session, code: str, customer_id: int, day: dt.date, product_id: int,
           yuan: int) -> None:
    from engine.models import Order

    session.add(Order(order_id=code, customer_id=customer_id, date=day, product_id=product_id,
                      quantity_milli=1_000 * max(1, yuan // 10_000), amount_cents=yuan * 100,
                      cost_cents=yuan * 55))


def grow_world(engine) -> Grown:
    """The hospitals, their orders, run 2 (as of RUN_2_AS_OF), the changes, run 3."""
    from sqlalchemy import select

    from engine.db import transaction
    from engine.models import Customer, EvaluationRun, Product, User
    from engine.runs import evaluate_and_follow

    with transaction(engine) as session:
        users = dict(session.execute(select(User.username, User.id)).all())
        products = [Product(code=code, name=name, product_line=line, is_new=False)
                    for code, name, line in (("P2", "Product two", "cardiology"),
                                             ("P3", "Product three", "neurology"))]
        session.add_all(products)
        session.flush()
        ids = {"P1": session.scalar(select(Product.id).where(Product.code == "P1")),
               "P2": products[0].id, "P3": products[1].id}
        for number, (code, owner, city, profile, monthly) in enumerate(HOSPITALS):
            customer = Customer(code=code, name=f"{code} {city[:-1]}第{number + 1}医院",
                                normalized_name=f"{code}{city}", type="hospital",
                                region="浙江省", city=city, owner_id=users[owner],
                                status="active", profile=_profile(*profile))
            session.add(customer)
            session.flush()
            months = 3 + number % 7
            for month in range(months):
                product = ("P1", "P2", "P3")[(month + number) % (1 + number % 3)]
                _order(session, f"O-{code}-{month}", customer.id,
                       dt.date(2026, 9 - month, 10), ids[product], monthly)
    evaluate_and_follow(engine, RULESET, as_of=RUN_2_AS_OF, trigger="cli")
    with transaction(engine) as session:
        h02 = session.scalar(select(Customer.id).where(Customer.code == "H02"))
        for month, product in enumerate(("P1", "P2", "P3")):
            _order(session, f"O-H02-big-{month}", h02, dt.date(2026, 10, 16 + month),
                   ids[product], 900_000)
        h09 = session.scalars(select(Customer).where(Customer.code == "H09")).one()
        h09.profile = _profile(150, "shrinking", "none", "locked")
    evaluate_and_follow(engine, RULESET, as_of=RUN_3_AS_OF, trigger="cli")
    with engine.connect() as connection:
        runs = list(connection.scalars(select(EvaluationRun.id).where(
            EvaluationRun.ruleset_id == RULESET).order_by(EvaluationRun.id)))
    return Grown(runs)


@pytest.fixture(scope="module")
def grown(live_server) -> Grown:
    """This module's server world with the hospitals and runs 2 and 3 (the server reads the
    database afresh on each request, so they show at once)."""
    from engine.db import make_engine

    engine = make_engine(live_server.engine_url)
    try:
        return grow_world(engine)
    finally:
        engine.dispose()


def _connect(live_server):
    from engine.db import make_engine

    return make_engine(live_server.engine_url)


def _visible_movers(live_server, username: str, run_b: int, run: int, before: str,
                    after: str) -> set[str]:
    """Codes of the customers ``username`` may see whose effective segment was ``before`` in
    ``run_b`` and is ``after`` in ``run``, read from the database through the access policy."""
    from sqlalchemy import select

    from engine import access
    from engine.access import Viewer
    from engine.models import Customer, CustomerScore, User

    engine = _connect(live_server)
    try:
        with engine.connect() as connection:
            user = connection.execute(select(User).where(User.username == username)).one()
            then = CustomerScore.__table__.alias("then")
            now = CustomerScore.__table__.alias("now")
            query = (select(Customer.code)
                     .join(now, now.c.customer_id == Customer.id)
                     .join(then, then.c.customer_id == Customer.id)
                     .where(now.c.run_id == run, then.c.run_id == run_b,
                            then.c.effective_segment == before,
                            now.c.effective_segment == after,
                            access.customers(Viewer.of(user))))
            return set(connection.scalars(query))
    finally:
        engine.dispose()


def _segment_counts(live_server, run: int) -> dict[str, int]:
    from sqlalchemy import func, select

    from engine.models import CustomerScore

    engine = _connect(live_server)
    try:
        with engine.connect() as connection:
            return dict(connection.execute(
                select(CustomerScore.effective_segment, func.count())
                .where(CustomerScore.run_id == run)
                .group_by(CustomerScore.effective_segment)).all())
    finally:
        engine.dispose()


def _latest_run(live_server) -> int:
    from sqlalchemy import func, select

    from engine.models import EvaluationRun

    engine = _connect(live_server)
    try:
        with engine.connect() as connection:
            return connection.scalar(select(func.max(EvaluationRun.id)).where(
                EvaluationRun.ruleset_id == RULESET, EvaluationRun.status == "completed"))
    finally:
        engine.dispose()


def _order_ids(live_server, prefix: str) -> set[str]:
    from sqlalchemy import select

    from engine.models import Order

    engine = _connect(live_server)
    try:
        with engine.connect() as connection:
            return set(connection.scalars(select(Order.order_id).where(
                Order.order_id.startswith(prefix))))
    finally:
        engine.dispose()


def _table_codes(page) -> set[str]:
    return {text.strip() for text in
            page.locator("table.customer-table tbody td.code").all_inner_texts()}


# --- 1. a manager drills down from a migration cell -------------------------------------------

def _chart_cell_point(page, chart_id: str, x: int, y: int) -> dict:
    """The page position of heatmap cell (x, y) of the ECharts chart in ``#chart_id``."""
    point = page.evaluate(
        """([id, x, y]) => {
             const el = document.getElementById(id);
             const chart = window.echarts.getInstanceByDom(el);
             const [px, py] = chart.convertToPixel({seriesIndex: 0}, [x, y]);
             const box = el.getBoundingClientRect();
             return {x: box.left + px, y: box.top + py};
           }""", [chart_id, x, y])
    return point


def test_manager_drills_down_from_a_migration_cell_to_a_customer(open_page, live_server,
                                                                 grown):
    from playwright.sync_api import expect

    run_b, run = grown.runs[1], grown.runs[2]
    movers = _visible_movers(live_server, "m1", run_b, run, "question", "star")
    assert movers == {"H02"}, movers          # the world is built so (H02's big orders)
    assert _visible_movers(live_server, "m2", run_b, run, "question", "star") == set()

    page = open_page("m1", language="en")
    page.locator("header").get_by_role("link", name="Reports", exact=True).click()
    expect(page).to_have_url(re.compile(r"/reports/$"))
    check_page(page, "reports-index-manager-en-desktop")
    page.locator("main").get_by_role("link", name="Migration", exact=True).click()
    expect(page).to_have_url(re.compile(r"/reports/migration"))

    # The runs to compare, chosen in the filter form (the URL carries them).
    page.get_by_label("Run", exact=True).select_option(str(run))
    page.get_by_label("Compare with run").select_option(str(run_b))
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(rf"run={run}\b.*run_b={run_b}|run_b={run_b}\b.*run={run}"))
    expect(page.locator("figure#migration-chart, figure:has(#migration-chart)")
           ).to_have_class(re.compile("report-chart-ready"))
    check_page(page, "migration-manager-en-desktop")

    table = page.locator(".report-table table").first
    row = table.locator("tbody tr").filter(
        has=page.locator("th", has_text=re.compile(r"^\s*Question mark\s*$")))
    headers = [t.strip() for t in table.locator("thead th").all_inner_texts()]
    star_column = headers.index("Star")
    cell = row.locator("td").nth(star_column - 1)
    expect(cell).to_have_text(str(len(movers)))

    # The chart's cell drills down to the same list as the table's link.
    href = cell.locator("a").get_attribute("href")
    heat = page.evaluate("() => JSON.parse(document.getElementById('migration-chart-data')"
                         ".textContent)")
    x, y = heat["x"].index("Star"), heat["y"].index("Question mark")
    assert [c[3] for c in heat["cells"] if c[0] == x and c[1] == y] == [href]
    point = _chart_cell_point(page, "migration-chart", x, y)
    page.mouse.click(point["x"], point["y"])
    expect(page).to_have_url(re.compile(r"/customers\?"))
    assert _table_codes(page) == movers
    page.go_back()
    expect(page).to_have_url(re.compile(r"/reports/migration"))

    cell.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/customers\?.*path="))
    expect(page.locator("table.customer-table tbody tr")).to_have_count(len(movers))
    assert _table_codes(page) == movers
    check_page(page, "migration-drilldown-customers-manager-en-desktop")

    page.locator("table.customer-table tbody tr").first.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/customers/H02$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("H02")
    check_page(page, "migration-drilldown-customer-H02-manager-en-desktop")


def _customers_in_areas(live_server, username: str, scores: str) -> set[str]:
    """Codes of the customers ``username`` may see whose stored axis scores fall in every
    ``RUN:AXIS:LOW:HIGH`` range of ``scores`` (an empty bound: open), computed in Python."""
    from sqlalchemy import select

    from engine import access
    from engine.access import Viewer
    from engine.models import Customer, CustomerScore, User

    ranges = [item.split(":") for item in scores.split(",")]
    engine = _connect(live_server)
    try:
        with engine.connect() as connection:
            user = connection.execute(select(User).where(User.username == username)).one()
            found = None
            for run, axis, low, high in ranges:
                rows = connection.execute(
                    select(Customer.code, CustomerScore.axes)
                    .join(CustomerScore, CustomerScore.customer_id == Customer.id)
                    .where(CustomerScore.run_id == int(run),
                           access.customers(Viewer.of(user)))).all()
                inside = {code for code, axes in rows if axes.get(axis) is not None
                          and (not low or axes[axis] >= float(low))
                          and (not high or axes[axis] < float(high))}
                found = inside if found is None else found & inside
            return found or set()
    finally:
        engine.dispose()


def test_manager_drills_down_from_a_density_cell_of_the_quadrant_map(open_page, live_server,
                                                                     grown):
    """The density view (forced here; it is the default above ~20,000 customers): clicking
    the fullest area of the chart lists exactly the customers whose scores lie in it."""
    from urllib.parse import parse_qs, urlparse

    from playwright.sync_api import expect

    page = open_page("m1", language="zh")
    page.goto("/reports/quadrant?view=density")
    expect(page.locator("figure[data-chart=density]")).to_have_class(
        re.compile("report-chart-ready"))
    check_page(page, "quadrant-density-manager-zh-desktop")
    grid = page.evaluate("() => JSON.parse(document.getElementById('quadrant-chart-data')"
                         ".textContent)")
    x, y, count, url = max(grid["cells"], key=lambda c: c[2])
    assert count >= 1 and sum(c[2] for c in grid["cells"]) == 6      # m1 sees six scored
    point = _chart_cell_point(page, "quadrant-chart", x, y)
    page.mouse.click(point["x"], point["y"])
    expect(page).to_have_url(re.compile(r"/customers\?.*scores="))
    assert page.url.endswith(url)
    expect(page.locator("table.customer-table tbody tr")).to_have_count(count)
    scores = parse_qs(urlparse(page.url).query)["scores"][0]
    assert _table_codes(page) == _customers_in_areas(live_server, "m1", scores)
    check_page(page, "quadrant-density-drilldown-manager-zh-desktop")


# --- 2. an admin uploads orders, imports them and runs an evaluation --------------------------

ORDER_HEADER = "order_id,customer,date,product_code,quantity,amount,cost\n"
# An unknown customer code and a date that is not one: the dry run rejects the file.
BAD_ORDERS = ORDER_HEADER + (
    "O-BAD-1,H04,2026-11-05,P1,10,1000.00,500.00\n"
    "O-BAD-2,NOPE-999,2026-11-06,P1,10,1000.00,500.00\n"
    "O-BAD-3,H04,next tuesday,P2,10,1000.00,500.00\n")
# H04 (a dog: low value, low potential) buys more than anyone, on three product lines, none of
# them new (its potential stays): its value goes to the top, so the next run makes it a cash
# cow; the value median rises with it, and H05, the lowest star, becomes a question mark.
GOOD_ORDERS = ORDER_HEADER + "".join(
    f"O-GOOD-{n},H04,2026-11-{5 + n:02d},{product},100,800000.00,400000.00\n"
    for n, product in enumerate(("P1", "P2", "P3")))


def _upload(page, name: str, text: str) -> None:
    from playwright.sync_api import expect

    page.goto("/admin/imports")
    page.get_by_label("Kind of data").select_option("orders")
    page.get_by_label("File (.csv or .xlsx)").set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": text.encode("utf-8")})
    page.get_by_role("button", name="Upload and check (dry run)").click()
    expect(page).to_have_url(re.compile(r"/admin/imports/jobs/\d+$"))


def _region_counts(page) -> dict[str, int]:
    """The segments report by region (all of the world is in 浙江省): segment → count."""
    table = page.locator(".report-table table")
    headers = [t.strip() for t in table.locator("thead th").all_inner_texts()]
    row = table.locator("tbody tr").filter(has_text="浙江省")
    cells = [t.split("\n")[0].strip() for t in row.locator("td").all_inner_texts()]
    return {headers[i + 1]: int(cells[i]) for i in range(len(headers) - 2)}


LABELS = {"star": "Star", "cash_cow": "Cash cow", "question": "Question mark", "dog": "Dog"}


def test_admin_uploads_bad_then_good_orders_and_the_next_run_changes_the_counts(
        open_page, live_server, grown):
    from playwright.sync_api import expect

    page = open_page("admin", language="en")

    # A bad file: the row problems, nothing imported.
    _upload(page, "orders-bad.csv", BAD_ORDERS)
    problems = page.locator("article.import-problems")
    expect(problems).to_be_visible(timeout=30_000)
    expect(problems.get_by_role("heading", level=2)).to_have_text("The file has 2 problems")
    rows = problems.locator("table.problem-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("customer")
    expect(rows.nth(0)).to_contain_text("NOPE-999")
    expect(rows.nth(1)).to_contain_text("date")
    expect(rows.nth(1)).to_contain_text("next tuesday")
    expect(page.get_by_role("button", name="Import now")).to_have_count(0)
    assert _order_ids(live_server, "O-BAD") == set()
    check_page(page, "import-orders-bad-admin-en-desktop")
    page.set_viewport_size({"width": 375, "height": 900})
    check_page(page, "import-orders-bad-admin-en-phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    # The counts before, on the segments report of the latest run.
    before_run = _latest_run(live_server)
    page.goto("/reports/segments?by=region")
    before = _region_counts(page)
    assert before == {LABELS[s]: n for s, n in _segment_counts(live_server, before_run).items()}

    # A good file: its dry run counts, then the import (a job of the server's worker).
    _upload(page, "orders-good.csv", GOOD_ORDERS)
    counts = page.locator("table.import-counts")
    expect(counts).to_be_visible(timeout=30_000)
    expect(counts.locator("tbody td")).to_have_text(["3", "3", "0", "0"])
    assert _order_ids(live_server, "O-GOOD") == set()
    check_page(page, "import-orders-good-dry-run-admin-en-desktop")
    page.get_by_role("button", name="Import now").click()
    expect(page.locator("#import-status")).to_contain_text("Imported.", timeout=30_000)
    assert _order_ids(live_server, "O-GOOD") == {"O-GOOD-0", "O-GOOD-1", "O-GOOD-2"}
    check_page(page, "import-orders-good-imported-admin-en-desktop")
    page.goto("/admin/imports")
    expect(page.locator("table.import-history tbody tr").first).to_contain_text("orders-good.csv")

    # "Run now" from /runs, as a job; its page follows it to the end.
    page.locator("header").get_by_role("link", name="Evaluation runs", exact=True).click()
    page.get_by_text("Run an evaluation").click()
    page.get_by_label("Ruleset").first.select_option(RULESET)
    page.get_by_label("As of").fill(RUN_4_AS_OF.isoformat())
    page.get_by_role("radio", name=re.compile(r"^Run now")).check()
    check_page(page, "runs-run-now-form-admin-en-desktop")
    page.get_by_role("button", name="Start").click()
    expect(page).to_have_url(re.compile(r"/jobs/\d+$"))
    opened = page.get_by_role("link", name=re.compile(r"Open run #\d+"))
    expect(opened).to_be_visible(timeout=60_000)
    check_page(page, "runs-run-now-done-admin-en-desktop")
    opened.click()
    after_run = _latest_run(live_server)
    assert after_run > before_run
    expect(page).to_have_url(re.compile(rf"/runs/{after_run}$"))
    check_page(page, "run-after-import-admin-en-desktop")

    # The counts changed: H04 dog → cash cow, H05 star → question mark.
    assert _visible_movers(live_server, "admin", before_run, after_run, "dog", "cash_cow") \
        == {"H04"}
    page.goto("/reports/segments?by=region")
    after = _region_counts(page)
    assert after == {LABELS[s]: n for s, n in _segment_counts(live_server, after_run).items()}
    assert after != before
    assert after["Dog"] == before["Dog"] - 1 and after["Cash cow"] == before["Cash cow"] + 1
    check_page(page, "segments-after-import-admin-en-desktop")


# --- 3. every report, zh and en, desktop and phone --------------------------------------------

REPORT_PAGES = {"index": "/reports/", "quadrant": "/reports/quadrant",
                "quadrant-density": "/reports/quadrant?view=density",
                "segments": "/reports/segments", "segments-by-owner": "/reports/segments?by=owner",
                "migration": "/reports/migration", "compliance": "/reports/compliance",
                "conversion": "/reports/conversion", "concentration": "/reports/concentration"}


def _chart_problems(page, name: str) -> list[str]:
    """Each chart of the page drawn (a canvas of some size) and a table beside it."""
    problems = []
    figures = page.locator("figure[data-chart]")
    for index in range(figures.count()):
        figure = figures.nth(index)
        kind = figure.get_attribute("data-chart")
        drawn = page.evaluate(
            """(figure) => {
                 const canvas = figure.querySelector('.report-chart-canvas canvas');
                 return figure.classList.contains('report-chart-ready') && !!canvas
                        && canvas.width > 0 && canvas.height > 0;
               }""", figure.element_handle())
        if not drawn:
            problems.append(f"{name}: the {kind} chart #{index + 1} is not drawn")
    if page.locator(".report-table table").count() == 0:
        problems.append(f"{name}: no table")
    return problems


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_report_reads_well(open_page, grown, language, width):
    """The reports page and each report as a manager: 200, ``page_problems`` clean, every
    chart drawn and a table beside it; all problems of all pages listed together."""
    from playwright.sync_api import expect

    from browser_support import HTML_LANG

    page = open_page("m1", width=WIDTHS[width], language=language)
    problems = []
    for name, path in REPORT_PAGES.items():
        response = page.goto(path)
        if response.status != 200:
            problems.append(f"{path}: status {response.status}")
            continue
        expect(page.locator("html")).to_have_attribute("lang", HTML_LANG[language])
        page.wait_for_load_state("load")
        shot = f"report-{name}-manager-{language}-{width}"
        if name != "index":
            problems += _chart_problems(page, shot)
        problems += page_problems(page, shot)
    assert not problems, "\n".join(problems)
