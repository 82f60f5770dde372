"""The studio end to end, as an admin does it in the browser: change the ruleset in the
structured editor, see the lint, preview the draft (the matrix shows who moves), publish it,
run an evaluation now and see the quadrant counts change, then roll back and see the old
weights return. Managers and reps are refused every studio page.

The steps build on each other, so they are one test on this module's own server."""
from __future__ import annotations

import re

import pytest

from browser_support import check_page

pytestmark = pytest.mark.browser

RULESET = "value_potential"
SHOW = f"/studio/ruleset/{RULESET}"
DESIGN = f"{SHOW}/design"
HIGH_VALUE = ("star", "cash_cow")          # the world's segments on the high side of value


def _query(live_server, build):
    """The result of ``build(connection)`` on the server's database."""
    from engine.db import make_engine

    engine = make_engine(live_server.engine_url)
    try:
        with engine.connect() as connection:
            return build(connection)
    finally:
        engine.dispose()


def _latest_run(live_server) -> int:
    from sqlalchemy import func, select

    from engine.models import EvaluationRun

    return _query(live_server, lambda c: c.scalar(select(func.max(EvaluationRun.id)).where(
        EvaluationRun.ruleset_id == RULESET, EvaluationRun.status == "completed")))


def _segment_counts(live_server, run: int) -> dict[str, int]:
    from sqlalchemy import func, select

    from engine.models import CustomerScore

    return _query(live_server, lambda c: dict(c.execute(
        select(CustomerScore.segment, func.count()).where(CustomerScore.run_id == run)
        .group_by(CustomerScore.segment)).all()))


def _latest_version(live_server) -> int:
    from sqlalchemy import func, select

    from engine.models import Definition, DefinitionVersion

    return _query(live_server, lambda c: c.scalar(
        select(func.max(DefinitionVersion.number))
        .join(Definition, DefinitionVersion.definition_id == Definition.id)
        .where(Definition.kind == "ruleset", Definition.def_id == RULESET)))


def _run_now(page, live_server) -> int:
    """"Run now" from /runs as a job; its page follows it to the end. The new run's id."""
    from playwright.sync_api import expect

    before = _latest_run(live_server)
    page.goto("/runs")
    page.get_by_text("Run an evaluation").click()
    page.get_by_label("Ruleset").first.select_option(RULESET)
    page.get_by_role("radio", name=re.compile(r"^Run now")).check()
    page.get_by_role("button", name="Start").click()
    expect(page).to_have_url(re.compile(r"/jobs/\d+$"))
    expect(page.get_by_role("link", name=re.compile(r"Open run #\d+"))).to_be_visible(
        timeout=60_000)
    after = _latest_run(live_server)
    assert after > before
    return after


def test_admin_changes_previews_publishes_runs_and_rolls_back(open_page, live_server):
    from playwright.sync_api import expect

    first_run = _latest_run(live_server)
    before = _segment_counts(live_server, first_run)
    assert sum(before.get(s, 0) for s in HIGH_VALUE) > 0, "the world has high-value customers"

    # 1. The structured editor: the value split raised to the top of the scale, one weight
    #    made dominant (so the lint has something to say). Saved as a draft.
    page = open_page("admin", language="en")
    page.goto(DESIGN)
    page.get_by_label(re.compile(r"^Split of Value")).fill("100")
    weight = page.locator("input.re-weight").first
    old_weight = weight.input_value()
    weight.fill("500")
    page.get_by_role("button", name="Save draft").click()
    expect(page).to_have_url(re.compile(rf"{SHOW}$"))
    expect(page.get_by_role("status")).to_contain_text("Draft saved as version")
    draft = _latest_version(live_server)

    # 2. The lint of the draft, on its text view.
    page.goto(f"{SHOW}/edit")
    expect(page.locator(".lint-warning").first).to_be_visible()
    check_page(page, "studio-flow-lint-admin-en-desktop")

    # 3. The preview: dry runs of draft and published on current data, as a job; the matrix
    #    shows who would move, and a cell lists them.
    page.goto(SHOW)
    page.get_by_role("button", name=re.compile(rf"^Preview version {draft}\b")).click()
    matrix = page.locator("table.preview-matrix")
    expect(matrix).to_be_visible(timeout=60_000)
    movers = matrix.locator("a")
    assert movers.count() > 0, "somebody would move"
    movers.first.click()
    expect(page.locator("table.preview-movers tbody tr").first).to_be_visible()
    check_page(page, "studio-flow-preview-admin-en-desktop")
    assert _latest_run(live_server) == first_run, "a preview stores no run"

    # 4. Publish the draft with a note.
    page.goto(SHOW)
    page.get_by_label(f"Note on publishing version {draft}").fill("value split raised (test)")
    page.get_by_role("button", name=f"Publish version {draft}").click()
    expect(page.get_by_role("status")).to_contain_text(f"Version {draft} is published")

    # 5. Run now: the quadrant counts change (fewer customers are high-value).
    run = _run_now(page, live_server)
    after = _segment_counts(live_server, run)
    assert sum(after.get(s, 0) for s in HIGH_VALUE) < sum(before.get(s, 0) for s in HIGH_VALUE)
    assert sum(after.values()) == sum(before.values())
    page.goto(f"/runs/{run}")
    check_page(page, "studio-flow-run-admin-en-desktop")

    # 6. Roll back to version 1: the old weight and split return in the editor.
    page.goto(SHOW)
    page.get_by_role("button", name="Roll back to version 1").click()
    expect(page.get_by_role("status")).to_contain_text("Version 1 is published again")
    page.goto(DESIGN)
    expect(page.locator("input.re-weight").first).to_have_value(old_weight)
    expect(page.get_by_label(re.compile(r"^Split of Value"))).to_have_value("median")


def _studio_pages(live_server) -> list[str]:
    """Every GET page of the studio, with the world's definitions filled in."""
    from web import create_app

    app = create_app({"TESTING": True, "DATABASE_URL": live_server.engine_url,
                      "SECRET_KEY": "browser-tests-url-map-" + "x" * 30})
    values = {"kind": "ruleset", "def_id": RULESET, "job_id": "1", "pack_id": "x"}
    pages = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/studio") and "GET" in rule.methods:
            path = rule.rule
            for name in rule.arguments:
                number = f"<int:{name}>" in path
                path = re.sub(rf"<(?:[a-z]+:)?{name}>", values.get(name, "1" if number else "x"),
                              path)
            pages.append(path)
    return sorted(pages)


@pytest.mark.parametrize("username", ["m1", "r1"])
def test_managers_and_reps_are_refused_every_studio_page(open_page, live_server, username):
    pages = _studio_pages(live_server)
    assert len(pages) >= 8
    page = open_page(username, language="en")
    for path in pages:
        response = page.goto(path)
        assert response is not None and response.status == 403, path
