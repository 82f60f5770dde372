"""The web app factory and its health page."""
from __future__ import annotations

import pytest

from web import create_app
from web.database import dispose_engine


@pytest.fixture
def make_app():
    """Build apps on a given database URL; their engines are disposed after the test."""
    apps = []

    def build(url: str):
        app = create_app({"TESTING": True, "DATABASE_URL": url})
        apps.append(app)
        return app

    yield build
    for app in apps:
        dispose_engine(app)


def test_health_reports_the_schema(engine, make_app):
    app = make_app(engine.url.render_as_string(hide_password=False))
    response = app.test_client().get("/health")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"


def test_health_on_an_unmigrated_database(empty_database_url, make_app):
    response = make_app(empty_database_url).test_client().get("/health")
    assert response.status_code == 503
    assert response.get_json()["schema"] is None
