"""Placeholder: the studio (issue 11) is being built."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("studio", __name__, url_prefix="/studio")
