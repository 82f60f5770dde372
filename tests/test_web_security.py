"""Security headers, CSP nonces, cookie flags, hostile text, and assets served offline."""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from web.assets import MANIFEST, STATIC, vendored
from web_support import add_user, app, client, make_app, sign_in, text  # noqa: F401

WEB = Path(__file__).resolve().parent.parent / "web"
NONCE = re.compile(r"'nonce-([A-Za-z0-9_-]+)'")


def pages(client, add_user) -> dict:
    """A page of each kind: public, signed in, error."""
    add_user("wangfang", name="王芳")
    found = {"login": client.get("/login"), "health": client.get("/health")}
    sign_in(client, "wangfang")
    found.update(home=client.get("/"), password=client.get("/password"),
                 missing=client.get("/no/such/page"))
    return found


def test_every_response_carries_the_security_headers(client, add_user):
    for name, response in pages(client, add_user).items():
        policy = response.headers["Content-Security-Policy"]
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, name
        assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy, name
        assert response.headers["X-Content-Type-Options"] == "nosniff", name
        assert response.headers["Referrer-Policy"] == "same-origin", name
        assert response.headers["X-Frame-Options"] == "DENY", name


def test_every_script_carries_this_responses_nonce(client, add_user):
    seen = set()
    for name, response in pages(client, add_user).items():
        if response.mimetype != "text/html":
            continue
        nonce = NONCE.search(response.headers["Content-Security-Policy"]).group(1)
        scripts = re.findall(r"<script\b[^>]*>", text(response))
        assert scripts, name
        assert all(f'nonce="{nonce}"' in tag for tag in scripts), name
        assert not re.search(r"<[a-z]+\b[^>]*\son[a-z]+=", text(response)), name
        seen.add(nonce)
    assert len(seen) == 4          # one nonce per response


def test_templates_have_no_inline_handlers_styles_or_safe(client):
    for path in (WEB / "templates").rglob("*.html"):
        source = path.read_text()
        assert not re.search(r"\son[a-z]+\s*=", source), path
        assert not re.search(r"\sstyle\s*=|<style", source), path
        assert "|safe" not in source.replace(" ", ""), path
        assert "<script" not in source or "nonce=" in source, path


def test_session_cookie_flags(client, add_user):
    add_user("wangfang")
    response = sign_in(client, "wangfang")
    cookie = next(c for c in response.headers.getlist("Set-Cookie")
                  if c.startswith("kamflow_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert "Expires=" in cookie                         # a permanent session, with its expiry


def test_session_cookie_secure_when_configured(make_app, add_user):
    client = make_app(SESSION_COOKIE_SECURE=True).test_client()
    add_user("wangfang")
    response = sign_in(client, "wangfang")
    cookie = next(c for c in response.headers.getlist("Set-Cookie")
                  if c.startswith("kamflow_session="))
    assert "; Secure" in cookie


def test_hostile_names_are_shown_as_text(client, add_user):
    add_user("mallory", name='<script>alert("x")</script>', team="<b>team</b>")
    sign_in(client, "mallory")
    page = text(client.get("/"))
    assert "<script>alert" not in page and "<b>team" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page


def test_vendored_files_match_the_manifest():
    entries = json.loads(MANIFEST.read_text())["files"]
    vendor = MANIFEST.parent
    on_disk = {p.relative_to(vendor).as_posix() for p in vendor.rglob("*")
               if p.is_file() and p.name != "manifest.json"}
    assert on_disk == {e["path"] for e in entries}
    for entry in entries:
        digest = hashlib.sha256((vendor / entry["path"]).read_bytes()).hexdigest()
        assert digest == entry["sha256"], entry["path"]
        assert entry["version"] in entry["path"] and entry["licence"] and entry["purpose"]
    assert set(vendored()) == {"htmx.org", "echarts", "@picocss/pico"}


def test_every_vendored_package_ships_its_licence():
    entries = json.loads(MANIFEST.read_text())["files"]
    for package in {e["package"] for e in entries}:
        names = [Path(e["path"]).name for e in entries if e["package"] == package]
        assert any(n.startswith("LICENSE") for n in names), package


@pytest.mark.parametrize("package", ["htmx.org", "echarts", "@picocss/pico"])
def test_vendored_assets_are_served(client, package):
    response = client.get(f"/static/{vendored()[package]}")
    assert response.status_code == 200 and len(response.data) > 10_000
    response.close()


def test_nothing_is_loaded_from_another_host(client):
    """No template, stylesheet or script of ours names another host."""
    remote = re.compile(r"""(src|href)\s*=\s*["']?(https?:)?//|url\(\s*["']?(https?:)?//"""
                        r"""|@import\s+["']?(https?:)?//""")
    for path in [*(WEB / "templates").rglob("*.html"), *(STATIC / "css").rglob("*.css"),
                 *(STATIC / "js").rglob("*.js")]:
        assert not remote.search(path.read_text()), path
    page = text(client.get("/login"))
    assert not re.search(r"""(src|href)=["'](https?:)?//""", page)
