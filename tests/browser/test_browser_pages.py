"""Pages that change nothing, for every role, in zh and en, at 1280 and 375 px: each passes
``check_page`` (axe-core, no script or CSP error, no sideways scroll) and keeps a screenshot."""
from __future__ import annotations

import re

import pytest

from browser_support import check_page

pytestmark = pytest.mark.browser

WIDTHS = {"desktop": 1280, "phone": 375}
ROLES = {"admin": "admin", "manager": "m1", "rep": "r1", "staff": "s1"}


@pytest.mark.parametrize("language", ["zh", "en"])
def test_sign_in_through_the_labelled_form(open_page, language):
    from playwright.sync_api import expect

    page = open_page(None, language=language)
    labels = {"zh": ("用户名", "密码", "登录"), "en": ("Username", "Password", "Sign in")}
    username, password, sign_in = labels[language]
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN" if language == "zh" else "en")
    expect(page.get_by_role("heading", level=1)).to_have_text(sign_in)
    check_page(page, f"login-{language}-desktop")
    page.get_by_label(username).fill("r1")
    page.get_by_label(password, exact=True).fill("not the password")
    page.get_by_role("button", name=sign_in, exact=True).click()
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.get_by_label(password, exact=True)).to_have_value("")
    check_page(page, f"login-refused-{language}-desktop")

    from web_world import PASSWORD

    page.get_by_label(username).fill("r1")
    page.get_by_label(password, exact=True).fill(PASSWORD)
    page.get_by_role("button", name=sign_in, exact=True).click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("R1")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("role", ROLES)
def test_home_page(open_page, role, language, width):
    from playwright.sync_api import expect

    page = open_page(ROLES[role], width=WIDTHS[width], language=language)
    expect(page).to_have_url(re.compile(r"/$"))
    hello = {"zh": "您好", "en": "Hello"}[language]
    expect(page.get_by_role("heading", level=1)).to_contain_text(hello)
    check_page(page, f"home-{role}-{language}-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_password_page(open_page, width):
    page = open_page("r1", width=WIDTHS[width])
    page.goto("/password")
    check_page(page, f"password-zh-{width}")


def test_language_switch_is_kept_for_the_user(open_page, browser, live_server):
    """r1 switches to English: the page, and a later sign-in with a Chinese browser, are in
    English; switching back to 中文 restores Chinese."""
    from playwright.sync_api import expect

    page = open_page("r1", language="zh")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    try:
        page.get_by_role("button", name="English").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Hello")
        expect(page.get_by_role("button", name="English")).to_have_attribute(
            "aria-pressed", "true")
        check_page(page, "home-rep-en-after-switch-desktop")
        again = open_page("r1", language=None)     # a zh-CN browser
        expect(again.locator("html")).to_have_attribute("lang", "en")
    finally:
        page.get_by_role("button", name="中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_role("heading", level=1)).to_contain_text("您好")
