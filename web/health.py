"""``/health``: is the app up and does the database answer at the expected schema."""
from __future__ import annotations

from functools import cache

from flask import Blueprint, jsonify
from sqlalchemy.exc import SQLAlchemyError

from engine.migrate import current_revision, head_revision
from web.database import get_engine

bp = Blueprint("health", __name__)


@cache
def expected_schema() -> str:
    """The migration head this code expects (the scripts do not change while it runs; reading
    them was most of a request's time)."""
    return head_revision()


@bp.get("/health")
def health():
    try:
        revision = current_revision(get_engine())
    except SQLAlchemyError as exc:
        return jsonify(status="error", database=f"unreachable: {type(exc).__name__}"), 503
    ok = revision == expected_schema()
    body = dict(status="ok" if ok else "error", schema=revision, expected_schema=expected_schema())
    return jsonify(body), 200 if ok else 503
