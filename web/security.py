"""Response headers every page carries, the per-request script nonce and safe redirects."""
from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import Flask, g, request, url_for
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

csrf = CSRFProtect()

# No 'unsafe-inline' and no 'unsafe-eval': a script runs only when it is served by the app or
# carries this response's nonce; styles come only from the app's own files.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    if app.config["PROXY_COUNT"]:
        count = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)
    app.after_request(_add_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce


def csp_nonce() -> str:
    """This response's script nonce (one per request, made on first use)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def _add_headers(response):
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.format(
        nonce=csp_nonce())
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def is_internal_path(target: str | None) -> bool:
    """True for a path of this app (``/tasks?x=1``); false for anything that could leave it:
    an absolute or scheme-relative URL, a backslash (browsers read it as a slash), control
    characters."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next(target: str | None, default: str = "home.index") -> str:
    """``target`` when it is a path of this app, else the URL of ``default``."""
    return target if is_internal_path(target) else url_for(default)
