"""A rep's day in the browser: the inbox, completing a visit task (which records the visit),
the visit on the customer page; the inbox on a 375 px phone; another rep's customer is 404."""
from __future__ import annotations

import re

import pytest

from browser_support import check_page, scroll_width

pytestmark = pytest.mark.browser


def _today() -> str:
    from engine.overrides import local_today

    return local_today().isoformat()      # the server's day (same time zone setting)


def test_rep_completes_a_visit_task_and_the_visit_shows_on_the_customer_page(open_page):
    from playwright.sync_api import expect

    page = open_page("r1", language="en")
    page.locator("header").get_by_role("link", name="Tasks", exact=True).click()
    expect(page).to_have_url(re.compile(r"/tasks$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Tasks")
    check_page(page, "tasks-inbox-rep-en-desktop")

    card = page.locator("li.task-card").filter(has_text="Visit").filter(has_text="C1")
    expect(card).to_have_count(1)
    title = card.locator("a.task-title").inner_text()
    card.locator("a.task-title").click()
    expect(page).to_have_url(re.compile(r"/tasks/\d+$"))
    task_path = re.search(r"/tasks/\d+$", page.url).group(0)
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    check_page(page, "task-detail-rep-en-desktop")

    note = "Met the head of oncology; samples left"
    page.get_by_label("Note (optional)").fill(note)
    page.locator("form[action$='/complete']").get_by_role("button").click()
    expect(page).not_to_have_url(re.compile(r"/complete$"))
    expect(page.get_by_role("status")).to_contain_text(_today())    # "recorded as a visit"
    check_page(page, "task-completed-rep-en-desktop")

    page.goto("/customers/C1")
    expect(page.get_by_role("heading", level=1)).to_have_text("C1 人民医院")
    visits = page.locator("#facts table.facts").last
    expect(visits.locator("tbody tr").filter(has_text=_today())).to_have_count(1)
    done = page.locator("#tasks table").last
    expect(done.locator("tr").filter(has_text=title)).to_contain_text(note)
    check_page(page, "customer-C1-after-visit-rep-en-desktop")

    # Done, it leaves the inbox (a recurring visit leaves its next occurrence there).
    page.goto("/tasks")
    expect(page.locator(f"a.task-title[href='{task_path}']")).to_have_count(0)
    page.goto(task_path)
    expect(page.locator("dl.task-facts")).to_contain_text(note)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_inbox_on_a_375_px_phone(open_page, language):
    from playwright.sync_api import expect

    page = open_page("r1", width=375, language=language)
    page.goto("/tasks")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        {"zh": "任务", "en": "Tasks"}[language])
    expect(page.locator("li.task-card").first).to_be_visible()
    assert scroll_width(page) <= 375
    # Each card's actions are reachable without scrolling sideways.
    box = page.locator("li.task-card").first.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 375, box
    check_page(page, f"tasks-inbox-rep-{language}-phone")


@pytest.mark.parametrize("path", ["/customers/C2", "/tasks/{r2_task}"])
def test_a_rep_typing_another_rep_s_record_gets_404(open_page, live_server, path):
    from playwright.sync_api import expect

    page = open_page("r1", language="en")
    own = page.goto(path.replace("C2", "C1").format(r2_task=live_server.world.tasks["r1"]))
    assert own.status == 200
    response = page.goto(path.format(r2_task=live_server.world.tasks["r2"]))
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("C2 人民医院")
    check_page(page, "not-found-rep-en-desktop")
