"""The JSON API (SPEC §5.2), ``/api/v1``: a bearer token acts as its user and sees exactly what
that user sees, through ``engine.access``.

No session cookie opens it (a token is required on every request), so it needs no CSRF token:
the blueprint is exempt from Flask-WTF's check. Errors are JSON ``{"error": {"code", "message"}}``.
"""
from __future__ import annotations

from flask import Blueprint

from web.security import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

# The modules add their routes and handlers to ``bp``.
from web.api import auth, customers, errors, runs, tasks  # noqa: E402,F401
