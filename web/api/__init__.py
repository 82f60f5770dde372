"""Placeholder: the JSON API (SPEC §5.2) is being built."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")
