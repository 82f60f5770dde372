"""The kamflow web app: a thin layer of blueprints over engine functions."""
from __future__ import annotations

import os

from flask import Flask


def create_app(test_config: dict | None = None) -> Flask:
    """Application factory: defaults, then ``instance/config.py``, then ``test_config``."""
    from engine.config import instance_path, load_settings

    app = Flask(__name__, instance_path=str(instance_path()), instance_relative_config=True)
    settings = load_settings()
    app.config.from_mapping(
        SECRET_KEY=settings.secret_key or os.urandom(32).hex(),
        DATABASE_URL=settings.database_url,
        TIMEZONE=settings.timezone,
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.from_mapping(test_config)

    from web import database, health

    database.init_app(app)
    app.register_blueprint(health.bp)
    return app
