"""One SQLAlchemy engine per app, created lazily from ``DATABASE_URL``."""
from __future__ import annotations

from flask import Flask, current_app

from engine.db import make_engine

_KEY = "kamflow.engine"


def init_app(app: Flask) -> None:
    app.extensions[_KEY] = None


def dispose_engine(app: Flask) -> None:
    """Close the app's connections (tests and shutdown)."""
    engine = app.extensions.get(_KEY)
    if engine is not None:
        engine.dispose()
        app.extensions[_KEY] = None


def get_engine():
    """The app's database engine (created on first use, shared by its requests)."""
    engine = current_app.extensions.get(_KEY)
    if engine is None:
        engine = make_engine(current_app.config["DATABASE_URL"])
        current_app.extensions[_KEY] = engine
    return engine
