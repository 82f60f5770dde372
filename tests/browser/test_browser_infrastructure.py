"""The browser tests' own equipment, checked without a browser: the vendored axe-core is the
file its manifest names, and the live-server fixture really serves the test world with
``kamflow serve`` (so a failing browser test is about a page, not about its set-up)."""
from __future__ import annotations

import hashlib
import re

from browser_support import VENDOR, axe_manifest, axe_source, fetch


def test_vendored_axe_core_matches_its_manifest():
    manifest = axe_manifest()
    assert manifest["package"] == "axe-core" and manifest["license"] == "MPL-2.0"
    assert re.fullmatch(r"\d+\.\d+\.\d+", manifest["version"])
    assert axe_source().parent.name == f"axe-core-{manifest['version']}"
    assert "axe-core-{0}/axe.min.js".format(manifest["version"]) in manifest["files"]
    for name, expected in manifest["files"].items():
        digest = hashlib.sha256((VENDOR / name).read_bytes()).hexdigest()
        assert digest == expected, f"{name}: SHA-256 {digest}, manifest says {expected}"
    on_disk = {p.relative_to(VENDOR).as_posix() for p in VENDOR.rglob("*")
               if p.is_file() and p.name != "manifest.json"}
    assert on_disk == set(manifest["files"]), "files in vendor/ not in the manifest, or missing"
    assert axe_source().read_text(encoding="utf-8").startswith(f"/*! axe v{manifest['version']}")


def test_live_server_is_gunicorn_on_the_test_world(live_server):
    status, headers, body = fetch(live_server.url + "/health")
    assert status == 200 and '"status":"ok"' in body.replace(" ", ""), body
    assert headers["Server"].startswith("gunicorn")
    status, headers, body = fetch(live_server.url + "/login")
    assert status == 200 and "<h1>登录</h1>" in body
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert live_server.world.customers == {"C1": "C1", "C2": "C2", "C3": "C3"}
    assert live_server.process.poll() is None
    assert "Booting worker" in live_server.log()


def test_live_server_refuses_a_wrong_password_and_signs_in_with_the_world_s(live_server):
    import http.cookiejar
    import urllib.parse
    import urllib.request

    from web_world import PASSWORD

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(live_server.url + "/login").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    token = token or re.search(r'value="([^"]+)"[^>]*name="csrf_token"', page)
    assert token, "no CSRF field in the login form"

    def post(password):
        data = urllib.parse.urlencode({"csrf_token": token.group(1), "username": "r1",
                                       "password": password}).encode()
        try:
            response = opener.open(live_server.url + "/login", data)
            return response.status, response.url
        except urllib.error.HTTPError as error:
            return error.code, error.url

    assert post("wrong")[0] == 401
    status, url = post(PASSWORD)
    assert status == 200 and not url.endswith("/login"), (status, url)
