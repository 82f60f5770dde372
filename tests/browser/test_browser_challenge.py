"""A rep challenges a customer's segment, the manager approves it at /approvals, the rep is
notified, and the approved override shows on the customer page; it becomes the effective
segment (the badge) with the next evaluation run (SPEC §3.5: a run stores the effective segment).

The steps build on each other, so they are one test on this module's own server."""
from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys

import pytest

from browser_support import check_page

pytestmark = pytest.mark.browser

REASON = "新科室开业, 处方量预计翻倍 (browser test)"


def _badge(page, which: str):
    """The segment badge beside 'Computed' or 'Effective' on the customer page."""
    return page.locator("dl.segment-pair > div").filter(
        has=page.locator("dt", has_text=re.compile(f"^{which}$"))).locator(".segment-badge")


def _evaluate(live_server) -> None:
    """The next evaluation run, as ``kamflow evaluate`` on the server's database."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("KAMFLOW_")}
    env.update(KAMFLOW_DATABASE_URL=live_server.engine_url,
               KAMFLOW_INSTANCE_PATH=str(live_server.log_path.parent / "instance"))
    from web_world import RULESET

    done = subprocess.run([sys.executable, "-m", "web.cli", "evaluate", RULESET],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_rep_challenges_manager_approves_badge_changes(open_page, live_server):
    from playwright.sync_api import expect

    from engine.overrides import local_today

    until = (local_today() + dt.timedelta(days=60)).isoformat()

    # The rep files a challenge on C1's page.
    rep = open_page("r1", language="en")
    rep.goto("/customers/C1")
    computed = _badge(rep, "Computed").inner_text().strip()
    expect(_badge(rep, "Effective")).to_have_text(computed)
    rep.get_by_text("Challenge this segment").click()
    options = rep.get_by_label("Proposed segment").locator("option").all_inner_texts()
    proposed = [label.strip() for label in options if label.strip() != computed][-1]
    rep.get_by_label("Proposed segment").select_option(label=proposed)
    rep.get_by_label("Reason").fill(REASON)
    rep.get_by_label("Until").fill(until)
    check_page(rep, "customer-C1-challenge-form-rep-en-desktop")
    rep.get_by_role("button", name="Send to my manager").click()
    expect(rep.get_by_role("status")).to_be_visible()
    pending = rep.locator(".pending-challenge").filter(has_text=REASON)
    expect(pending).to_contain_text(proposed)
    expect(pending).to_contain_text(until)
    check_page(rep, "customer-C1-challenged-rep-en-desktop")

    # The manager sees it on the home page and at /approvals, and approves it.
    manager = open_page("m1", language="en")
    expect(manager.get_by_role("link", name=re.compile(r"challenges? waits? for your decision"))
           ).to_contain_text("2")
    manager.locator("header").get_by_role("link", name="Approvals", exact=True).click()
    expect(manager).to_have_url(re.compile(r"/approvals$"))
    card = manager.locator("article.challenge").filter(has_text=REASON)
    expect(card).to_contain_text("C1 人民医院")
    expect(card).to_contain_text(proposed)
    check_page(manager, "approvals-manager-en-desktop")
    expect(card.get_by_label("Valid until")).to_have_value(until)
    card.get_by_role("button", name="Approve").click()
    expect(manager.locator("article.challenge").filter(has_text=REASON)).to_have_count(0)
    decided = manager.locator("table.decisions tbody tr").filter(has_text=proposed)
    expect(decided).to_contain_text(f"Approved until {until}")
    check_page(manager, "approvals-decided-manager-en-desktop")
    manager.set_viewport_size({"width": 375, "height": 900})
    check_page(manager, "approvals-decided-manager-en-phone")

    # The rep is notified, and the customer page shows the approved override.
    rep.goto("/notifications")
    expect(rep.locator(".notice").filter(has_text="Challenge approved")).to_contain_text(until)
    check_page(rep, "notifications-rep-en-desktop")
    rep.goto("/customers/C1")
    override = rep.locator("p.override")
    expect(override).to_contain_text(f"Override: {proposed} until {until}")
    expect(override).to_contain_text(REASON)
    expect(rep.locator(".pending-challenge").filter(has_text=REASON)).to_have_count(0)
    check_page(rep, "customer-C1-approved-rep-en-desktop")

    # With the next run the override is the effective segment: the badge changes.
    _evaluate(live_server)
    rep.reload()
    expect(_badge(rep, "Effective")).to_have_text(proposed)
    expect(rep.locator("p.override")).not_to_contain_text("next run")
    expect(rep.locator("#history tbody tr")).to_have_count(2)
    check_page(rep, "customer-C1-after-next-run-rep-en-desktop")
    rep.set_viewport_size({"width": 375, "height": 900})
    check_page(rep, "customer-C1-after-next-run-rep-en-phone")
    rep.get_by_role("button", name="中文", exact=True).click()
    expect(rep.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(rep.locator("p.override")).to_contain_text("人工调整")
    check_page(rep, "customer-C1-after-next-run-rep-zh-phone")
