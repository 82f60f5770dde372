"""Helpers of the browser tests: the vendored axe-core, screenshots, page checks.

``check_page(page, name)`` is what every visited page goes through: a full-page screenshot to
``tests/browser/artifacts/<name>.png`` (git-ignored), an axe-core scan that fails on serious or
critical violations (listing them), no script error or CSP refusal in the console, and no
horizontal scroll bar at the page's width.
"""
from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ARTIFACTS = HERE / "artifacts"
VENDOR = HERE / "vendor"
FAILING_IMPACTS = ("serious", "critical")
LOCALES = {"zh": "zh-CN", "en": "en-US"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str, timeout: float = 5) -> tuple[int, dict[str, str], str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def axe_manifest() -> dict:
    return json.loads((VENDOR / "manifest.json").read_text(encoding="utf-8"))["axe-core"]


def axe_source() -> Path:
    return VENDOR / f"axe-core-{axe_manifest()['version']}" / "axe.min.js"


_AXE_SOURCE: list[str] = []


def _axe_text() -> str:
    if not _AXE_SOURCE:
        _AXE_SOURCE.append(axe_source().read_text(encoding="utf-8"))
    return _AXE_SOURCE[0]


def watch_console(page) -> None:
    """Collect script errors, console errors (CSP refusals are console errors) and failed
    loads of a script, style, image or fetch. A page's own status (the 404 page, a refused
    sign-in's 401) is the test's business, so the console's note about it is left out."""
    errors: list[str] = []
    page._kamflow_errors = errors

    def on_console(message) -> None:
        if message.type == "error" and not message.text.startswith(_PAGE_STATUS_NOTE):
            errors.append(f"console {message.type}: {message.text}")

    def on_response(response) -> None:
        if response.status >= 400 and response.request.resource_type != "document":
            errors.append(f"{response.status} for {response.request.resource_type} "
                          f"{response.url}")

    def on_request_failed(request) -> None:
        # ERR_ABORTED: a load cut short by leaving the page (a click on a link), not a fault.
        if "ERR_ABORTED" not in (request.failure or ""):
            errors.append(f"request failed: {request.url} ({request.failure})")

    page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    page.on("console", on_console)
    page.on("response", on_response)
    page.on("requestfailed", on_request_failed)


_PAGE_STATUS_NOTE = "Failed to load resource: the server responded with a status of"


def page_errors(page) -> list[str]:
    return list(getattr(page, "_kamflow_errors", []))


def axe_violations(page) -> list[dict]:
    """axe-core's violations of the page as it is now, every impact.

    The app's CSP refuses inline scripts, so ``add_script_tag`` cannot inject axe; evaluate runs
    the file through the DevTools protocol, which the page's CSP does not govern.
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_text())
    return page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' ') + ' :: ' + n.failureSummary)}))")


HTML_LANG = {"zh": "zh-CN", "en": "en"}
LANGUAGE_BUTTONS = {"zh": "中文", "en": "English"}


def set_language(page, language: str) -> None:
    """Have the page in ``language`` ('zh' or 'en'), with the language switch if needed (the
    choice is stored on the signed-in user)."""
    from playwright.sync_api import expect

    if page.locator("html").get_attribute("lang") != HTML_LANG[language]:
        page.get_by_role("button", name=LANGUAGE_BUTTONS[language], exact=True).click()
        expect(page.locator("html")).to_have_attribute("lang", HTML_LANG[language])


PART_HEIGHT = 1600


def screenshot(page, name: str) -> Path:
    """``<name>.png`` of the whole page; a page taller than two parts is also kept in parts
    (``<name>.part1.png`` …) that stay readable at full size."""
    ARTIFACTS.mkdir(exist_ok=True)
    for old in ARTIFACTS.glob(f"{name}.part*.png"):
        old.unlink()
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    width, height = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
    if height > 2 * PART_HEIGHT:
        for number, top in enumerate(range(0, height, PART_HEIGHT), start=1):
            clip = {"x": 0, "y": top, "width": width,
                    "height": min(PART_HEIGHT, height - top)}
            page.screenshot(path=str(ARTIFACTS / f"{name}.part{number}.png"), full_page=True,
                            clip=clip)
    return path


def scroll_width(page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth")


def page_problems(page, name: str) -> list[str]:
    """Screenshot the page; what is wrong with it: serious or critical axe-core violations,
    errors in the browser since the page was opened, a horizontal scroll bar."""
    page.wait_for_load_state("load")
    screenshot(page, name)
    problems = [f"[{v['impact']}] {v['id']}: {v['help']}\n      " + "\n      ".join(v["nodes"])
                for v in axe_violations(page) if v["impact"] in FAILING_IMPACTS]
    problems += page_errors(page)
    getattr(page, "_kamflow_errors", []).clear()
    width, wide = page.viewport_size["width"], scroll_width(page)
    if wide > width:
        problems.append(f"scrolls sideways at {width} px (scrollWidth {wide})")
    return [f"{name} ({page.url}): {problem}" for problem in problems]


def check_page(page, name: str) -> None:
    """Screenshot, then fail on serious/critical axe violations, browser errors, and a
    horizontal scroll bar."""
    problems = page_problems(page, name)
    assert not problems, "\n".join(problems)
