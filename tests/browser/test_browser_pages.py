"""Pages that change nothing, for every role, in zh and en, at 1280 and 375 px: each passes
``page_problems`` (axe-core, no script or CSP error, no sideways scroll) and keeps a screenshot;
signing in through the labelled form; the language switch."""
from __future__ import annotations

import re

import pytest

from browser_support import HTML_LANG, check_page, page_problems

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


def role_pages(role: str, world) -> dict[str, str]:
    """name → path of every page the role's user may open (with records of their own)."""
    own = world.own(role)
    pages = {"home": "/", "customers": "/customers", "customer-C1": "/customers/C1",
             "notifications": "/notifications", "password": "/password",
             "sign-out": "/logout"}
    if role != "staff":
        pages.update({"tasks": "/tasks", "task": f"/tasks/{own['task']}"})
    if role in ("admin", "manager"):
        pages.update({"approvals": "/approvals", "runs": "/runs",
                      "run": f"/runs/{own['run']}"})
    if role == "admin":
        pages.update({"users": "/admin/users", "user-new": "/admin/users/new",
                      "user-r1": f"/admin/users/{world.users['r1']}",
                      "audit": "/admin/audit"})
    return pages


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("role", ROLES)
def test_every_page_of_each_role(open_page, live_server, role, language, width):
    """Each page the role may open answers 200 in the chosen language and passes
    ``page_problems``; every problem of every page is listed together."""
    from playwright.sync_api import expect

    page = open_page(ROLES[role], width=WIDTHS[width], language=language)
    hello = {"zh": "您好", "en": "Hello"}[language]
    expect(page.get_by_role("heading", level=1)).to_contain_text(hello)
    problems = []
    for name, path in role_pages(role, live_server.world).items():
        response = page.goto(path)
        if response.status != 200:
            problems.append(f"{path}: status {response.status}")
            continue
        expect(page.locator("html")).to_have_attribute("lang", HTML_LANG[language])
        problems += page_problems(page, f"{name}-{role}-{language}-{width}")
    assert not problems, "\n".join(problems)


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
