"""The web app factory and its health page."""
from __future__ import annotations

from web import create_app


def test_health_reports_the_schema(engine):
    app = create_app({"TESTING": True, "DATABASE_URL": str(engine.url.render_as_string(False))})
    response = app.test_client().get("/health")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"


def test_health_on_an_unmigrated_database(empty_database_url):
    app = create_app({"TESTING": True, "DATABASE_URL": empty_database_url})
    response = app.test_client().get("/health")
    assert response.status_code == 503
    assert response.get_json()["schema"] is None
