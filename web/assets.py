"""The vendored scripts and styles, found through ``static/vendor/manifest.json``.

Templates name a library (``asset_url('htmx.org')``), not a versioned path, so upgrading one
changes only its folder and the manifest. Nothing is ever loaded from another host.
"""
from __future__ import annotations

import functools
import json
from pathlib import Path

from flask import Flask, url_for

STATIC = Path(__file__).resolve().parent / "static"
MANIFEST = STATIC / "vendor" / "manifest.json"
SERVED_SUFFIXES = (".js", ".css")


@functools.cache
def vendored() -> dict[str, str]:
    """Package name → the path under ``static/`` of the file the app serves from it."""
    files = json.loads(MANIFEST.read_text())["files"]
    return {f["package"]: f"vendor/{f['path']}" for f in files
            if f["path"].endswith(SERVED_SUFFIXES)}


def asset_url(package: str) -> str:
    return url_for("static", filename=vendored()[package])


def init_app(app: Flask) -> None:
    app.jinja_env.globals["asset_url"] = asset_url
