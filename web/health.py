"""``/health``: is the app up and does the database answer at the expected schema."""
from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy.exc import SQLAlchemyError

from engine.migrate import current_revision, head_revision
from web.database import get_engine

bp = Blueprint("health", __name__)


@bp.get("/health")
def health():
    try:
        revision = current_revision(get_engine())
    except SQLAlchemyError as exc:
        return jsonify(status="error", database=f"unreachable: {type(exc).__name__}"), 503
    ok = revision == head_revision()
    body = dict(status="ok" if ok else "error", schema=revision, expected_schema=head_revision())
    return jsonify(body), 200 if ok else 503
