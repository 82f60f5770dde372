"""Placeholder: this area's pages are being built."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("admin_imports", __name__)
