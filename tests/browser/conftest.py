"""Browser tests: Playwright drives Debian's chromium against the real production server.

Selection
- Tests marked ``browser`` need ``/usr/bin/chromium`` and the ``playwright`` package. They are
  skipped when either is missing, unless ``KAMFLOW_REQUIRE_BROWSER=1`` (CI), which makes them fail
  instead. They run on SQLite only: with ``KAMFLOW_TEST_DATABASE_URL`` set they are skipped (the
  server under test always uses its own SQLite file, so a PostgreSQL run would repeat them).
- ``pytest -m browser`` runs only them; ``pytest -m "not browser"`` leaves them out.
- The other tests of this folder (the vendored axe-core checksum, the live-server sanity) need
  no browser.

Fixtures
- ``live_server`` (module): ``kamflow serve`` (gunicorn, 2 workers) on a free 127.0.0.1 port,
  on a copy of a SQLite database holding ``web_world.build_world`` (built once per session by
  ``world_database``); stopped at the end of the module, so each module starts from the same
  world and modules that change data do not disturb each other. ``live_server.url``,
  ``.world``, ``.engine_url``, ``.log()``.
- ``browser`` (session): chromium, launched once.
- ``open_page`` (function): ``open_page(username, width=1280, language="zh")`` signs in through
  the login form in a fresh context and returns the page (the home page), in ``language``
  through the page's language switch when needed: a user's stored locale (zh when created) wins
  over the browser's. ``language=None``: no switch. ``username=None``: the login page.
- ``browser_support.check_page(page, name)`` / ``page_problems``: screenshot to
  ``tests/browser/artifacts/`` (git-ignored), axe-core (serious or critical violations fail),
  errors in the browser console, sideways scrolling.

axe-core under the Content-Security-Policy: the app's CSP has no ``unsafe-inline``, so
``page.add_script_tag`` (an inline ``<script>``) is refused. The vendored ``axe.min.js`` is run
with ``page.evaluate`` instead: Playwright sends it through the DevTools protocol
(``Runtime.evaluate``), which the page's CSP does not govern, so the app is scanned under its real
policy (no ``bypass_csp``, which would also hide CSP breakage of the pages themselves).
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from browser_support import LOCALES, fetch, free_port, set_language, watch_console

HERE = Path(__file__).resolve().parent
CHROMIUM = Path("/usr/bin/chromium")
REQUIRE_ENV = "KAMFLOW_REQUIRE_BROWSER"
SERVER_START_SECONDS = 60


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "browser: drives chromium with Playwright against kamflow serve "
        "(skipped without /usr/bin/chromium or playwright, and on PostgreSQL)")


def _playwright_problem() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        return f"playwright does not import ({exc})"
    return None


def browser_problem() -> str | None:
    """Why browser tests cannot run here, or None."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium fonts-noto-cjk)"
    return _playwright_problem()


def on_postgresql() -> bool:
    return bool(os.environ.get("KAMFLOW_TEST_DATABASE_URL"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    problem = browser_problem()
    required = os.environ.get(REQUIRE_ENV) == "1"
    for item in items:
        if HERE not in Path(str(item.path)).resolve().parents:
            continue
        marked = item.get_closest_marker("browser") is not None
        if on_postgresql() and (marked or "live_server" in item.fixturenames):
            item.add_marker(pytest.mark.skip(
                reason="browser tests run on SQLite only (KAMFLOW_TEST_DATABASE_URL is set)"))
        elif marked and problem and not required:
            item.add_marker(pytest.mark.skip(reason=f"browser tests: {problem}"))


# --- the server under test -------------------------------------------------------------------

@dataclass
class LiveServer:
    url: str
    world: object            # web_world.World
    engine_url: str
    log_path: Path
    process: subprocess.Popen

    def log(self, last: int = 60) -> str:
        lines = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(lines[-last:])


def _build_database(folder: Path) -> tuple[Path, object]:
    """A SQLite file holding the web test world (WAL folded in, so the file is all of it);
    its path and the World."""
    from engine.db import make_engine
    from web_world import build_world

    path = folder / "kamflow.db"
    url = f"sqlite:///{path}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KAMFLOW_DATABASE_URL", url)
        patch.setenv("KAMFLOW_INSTANCE_PATH", str(folder / "instance"))
        engine = make_engine(url)
        try:
            world = build_world(engine)
            with engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            engine.dispose()
    return path, world


def _start_server(folder: Path, template: Path, world) -> LiveServer:
    (folder / "instance").mkdir(exist_ok=True)
    shutil.copyfile(template, folder / "kamflow.db")
    url = f"sqlite:///{folder / 'kamflow.db'}"
    port = free_port()
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("KAMFLOW_")}
    env.update(KAMFLOW_DATABASE_URL=url, KAMFLOW_SECRET_KEY="browser-tests-" + "x" * 40,
               KAMFLOW_INSTANCE_PATH=str(folder / "instance"), PYTHONUNBUFFERED="1")
    log_path = folder / "server.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "web.cli", "serve", "--host", "127.0.0.1",
             "--port", str(port), "--workers", "2"],
            stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    server = LiveServer(f"http://127.0.0.1:{port}", world, url, log_path, process)
    deadline = time.monotonic() + SERVER_START_SECONDS
    while True:
        try:
            status, _, body = fetch(server.url + "/health", timeout=2)
            if status == 200:
                return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            _stop_server(server)
            pytest.fail(f"kamflow serve did not answer /health on {server.url}:\n{server.log()}")
        time.sleep(0.1)


def _stop_server(server: LiveServer) -> None:
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, signal.SIGKILL)   # its own session: gunicorn's workers
            server.process.wait(timeout=10)


@pytest.fixture(scope="session")
def world_database(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    """The web test world in a SQLite file, built once (each server gets a copy)."""
    if on_postgresql():
        pytest.skip("browser tests run on SQLite only")
    return _build_database(tmp_path_factory.mktemp("world"))


@pytest.fixture(scope="module")
def live_server(world_database, tmp_path_factory: pytest.TempPathFactory
                ) -> Iterator[LiveServer]:
    """``kamflow serve`` on a fresh copy of the web test world, for the tests of one module."""
    template, world = world_database
    server = _start_server(tmp_path_factory.mktemp("live"), template, world)
    try:
        yield server
    finally:
        _stop_server(server)


# --- the browser -----------------------------------------------------------------------------

@pytest.fixture(scope="session")
def playwright_driver():
    problem = browser_problem()
    if problem:
        (pytest.fail if os.environ.get(REQUIRE_ENV) == "1" else pytest.skip)(problem)
    from playwright.sync_api import sync_playwright

    driver = sync_playwright().start()
    try:
        yield driver
    finally:
        driver.stop()


@pytest.fixture(scope="session")
def browser(playwright_driver):
    chromium = playwright_driver.chromium.launch(
        executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-background-networking"])
    try:
        yield chromium
    finally:
        chromium.close()


@pytest.fixture
def open_page(browser, live_server):
    """``open_page(username, width=1280, language="zh")``: a signed-in page on the home page
    (``username=None``: a page that is not signed in, on /login)."""
    from playwright.sync_api import expect

    contexts = []

    def open_(username: str | None, width: int = 1280, language: str | None = "zh"):
        from web_world import PASSWORD

        context = browser.new_context(base_url=live_server.url, locale=LOCALES[language or "zh"],
                                      viewport={"width": width, "height": 900})
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        watch_console(page)
        page.goto("/login")
        if username is None:
            return page
        page.locator("input[name=username]").fill(username)
        page.locator("input[name=password]").fill(PASSWORD)
        page.locator("form[action='/login'] button[type=submit]").click()
        expect(page).not_to_have_url(_login_url())
        if language:
            set_language(page, language)
        return page

    yield open_
    for context in contexts:
        context.close()


def _login_url():
    import re

    return re.compile(r".*/login(\?.*)?$")
