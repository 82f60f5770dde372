"""The kamflow web app: a thin layer of blueprints over engine functions."""
from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:     # Flask is imported by create_app: `kamflow` commands that never build
    from flask import Flask     # the app (the package holds the CLI entry point) skip it.

DEFAULTS = dict(
    # Idle sessions end: Flask refuses a session cookie older than this, and every request
    # renews it, so eight hours without a request signs the user out.
    PERMANENT_SESSION_LIFETIME=timedelta(hours=8),
    SESSION_COOKIE_HTTPONLY=True,
    SESSION_COOKIE_SAMESITE="Lax",
    SESSION_COOKIE_SECURE=False,
    SESSION_COOKIE_NAME="kamflow_session",
    WTF_CSRF_TIME_LIMIT=None,           # the token lives as long as the session
    BABEL_DEFAULT_LOCALE="zh",
    BABEL_TRANSLATION_DIRECTORIES="translations",
    # How many proxies in front of the app set X-Forwarded-For/-Proto (0: none is trusted).
    PROXY_COUNT=0,
    MAX_CONTENT_LENGTH=64 * 1024 * 1024,
)


def create_app(test_config: dict | None = None) -> Flask:
    """Application factory: defaults, then ``instance/config.py``, then ``test_config``."""
    from flask import Flask

    from engine.config import instance_path, load_settings
    from web.secret import secret_key

    app = Flask(__name__, instance_path=str(instance_path()), instance_relative_config=True)
    settings = load_settings()
    app.config.from_mapping(DEFAULTS, DATABASE_URL=settings.database_url,
                            TIMEZONE=settings.timezone,
                            REPORT_KEEP_SECONDS=settings.report_keep_seconds)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.from_mapping(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = settings.secret_key or secret_key(instance_path())
    if isinstance(app.config["SESSION_COOKIE_SECURE"], str):
        app.config["SESSION_COOKIE_SECURE"] = app.config["SESSION_COOKIE_SECURE"] == "1"
    _init_extensions(app)
    _register_blueprints(app)
    return app


def _init_extensions(app: Flask) -> None:
    from web import accounts, database, errors, i18n, pages, security

    database.init_app(app)
    security.init_app(app)
    accounts.init_app(app)
    i18n.init_app(app)
    pages.init_app(app)
    errors.init_app(app)


def _register_blueprints(app: Flask) -> None:
    from web import (admin_audit, admin_imports, admin_users, api, approvals, auth, calendar,
                     customer_page, customers, health, home, i18n, jobs, notifications, reports,
                     runs, studio, tasks)

    for blueprint in (health.bp, auth.bp, home.bp, i18n.bp, customers.bp, customer_page.bp,
                      tasks.bp, notifications.bp, calendar.bp, approvals.bp, api.bp, runs.bp,
                      jobs.bp, admin_users.bp, admin_audit.bp, admin_imports.bp, reports.bp,
                      studio.bp):
        app.register_blueprint(blueprint)
