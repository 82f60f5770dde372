"""The JSON API (SPEC §5.2): bearer tokens only, the visibility policy on every endpoint and
role, keyset pages, JSON errors."""
from __future__ import annotations

import pytest
from sqlalchemy import select, update

from api_support import auth, bearer_token
from engine.db import transaction
from engine.models import AccessToken, Customer, Task, User
from engine.tokens import revoke_token
from web_support import app, make_app, sign_in  # noqa: F401
from web_world import PASSWORD, _world_snapshot, world  # noqa: F401  (fixtures)

USERS = ("admin", "m1", "m2", "r1", "r2", "s1")
# Customers each user sees (C3 is r1's and inactive: listed, with its status).
CUSTOMERS = {"admin": {"C1", "C2", "C3"}, "m1": {"C1", "C3"}, "m2": {"C2"},
             "r1": {"C1", "C3"}, "r2": {"C2"}, "s1": {"C1"}}


@pytest.fixture
def api(app, world):
    """``api(username)``: a test client whose requests carry that user's bearer token."""
    tokens = {}

    class Client:
        def __init__(self, username):
            self.client = app.test_client()
            self.headers = auth(tokens.setdefault(username, bearer_token(app, username)))

        def get(self, path, **kwargs):
            return self.client.get(path, headers=self.headers, **kwargs)

        def post(self, path, **kwargs):
            return self.client.post(path, headers=self.headers, **kwargs)

    return Client


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert error["code"] == code and error["message"]
    return error


def _all_pages(client, path: str, limit: int = 1, **extra) -> list[dict]:
    items, after, seen = [], None, 0
    while True:
        query = {"limit": limit, **extra, **({"after": after} if after else {})}
        response = client.get(path, query_string=query)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert len(body["items"]) <= limit
        items += body["items"]
        after = body["next"]
        seen += 1
        assert seen < 100
        if after is None:
            return items


# --- authentication -------------------------------------------------------------------------

def test_no_token_is_a_401(app, world):
    response = app.test_client().get("/api/v1/customers")
    _error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    _error(app.test_client().get("/api/v1/customers", headers=auth("kf_wrong")), 401,
           "unauthorized")
    _error(app.test_client().get("/api/v1/customers", headers={"Authorization": "Basic x"}),
           401, "unauthorized")


def test_a_session_cookie_alone_opens_nothing(app, world):
    client = app.test_client()
    assert sign_in(client, "admin", PASSWORD).status_code == 302
    assert client.get("/").status_code == 200       # the session works for pages
    _error(client.get("/api/v1/customers"), 401, "unauthorized")
    _error(client.post("/api/v1/tasks/1/complete", json={}), 401, "unauthorized")


def test_a_revoked_token_is_a_401(app, engine, world):
    secret = bearer_token(app, "r1")
    client = app.test_client()
    assert client.get("/api/v1/customers", headers=auth(secret)).status_code == 200
    with transaction(engine) as session:
        token_id = session.scalar(select(AccessToken.id).order_by(AccessToken.id.desc()))
        revoke_token(session, token_id, actor="test")
    _error(client.get("/api/v1/customers", headers=auth(secret)), 401, "unauthorized")


def test_an_inactive_users_token_is_a_401(app, engine, world):
    secret = bearer_token(app, "r1")
    with transaction(engine) as session:
        session.execute(update(User).where(User.username == "r1").values(active=False))
    _error(app.test_client().get("/api/v1/tasks", headers=auth(secret)), 401, "unauthorized")


def test_a_calendar_token_is_not_an_api_token(app, engine, world):
    from engine.tokens import replace_calendar_token

    with transaction(engine) as session:
        secret = replace_calendar_token(session, "r1", actor="test").secret
    _error(app.test_client().get("/api/v1/tasks", headers=auth(secret)), 401, "unauthorized")


# --- customers ------------------------------------------------------------------------------

def test_customers_list_is_what_each_user_sees(api):
    for username in USERS:
        response = api(username).get("/api/v1/customers")
        assert response.status_code == 200
        body = response.get_json()
        assert {item["code"] for item in body["items"]} == CUSTOMERS[username], username
        assert body["next"] is None
        first = body["items"][0]
        assert set(first) >= {"code", "name", "owner", "segment", "effective_segment"}


def test_customers_list_filters_and_segments(api):
    client = api("admin")
    body = client.get("/api/v1/customers", query_string={"owner": "r2"}).get_json()
    assert [item["code"] for item in body["items"]] == ["C2"]
    assert body["items"][0]["segment"]["label"]["zh"]        # labels from the ruleset
    assert body["items"][0]["segment"]["color"].startswith("#")
    body = client.get("/api/v1/customers", query_string={"q": "c1 人民"}).get_json()
    assert [item["code"] for item in body["items"]] == ["C1"]
    body = client.get("/api/v1/customers", query_string={"status": "inactive"}).get_json()
    assert [item["code"] for item in body["items"]] == ["C3"]
    segment = client.get("/api/v1/customers/C1").get_json()["segments"][0]
    same = client.get("/api/v1/customers", query_string={
        "ruleset": segment["ruleset"], "segment": segment["effective_segment"]["id"]}).get_json()
    assert "C1" in {item["code"] for item in same["items"]}


def test_customers_pages_round_trip(api):
    client = api("admin")
    items = _all_pages(client, "/api/v1/customers")
    assert [item["code"] for item in items] == ["C1", "C2", "C3"]
    backwards = _all_pages(client, "/api/v1/customers", limit=2, sort="-code")
    assert [item["code"] for item in backwards] == ["C3", "C2", "C1"]


@pytest.mark.parametrize("after", ["garbage", "eyJ4IjoxfQ", "W10"])
def test_a_bad_cursor_is_a_400(api, after):
    client = api("admin")
    _error(client.get("/api/v1/customers", query_string={"after": after}), 400, "bad_request")
    _error(client.get("/api/v1/tasks", query_string={"after": after}), 400, "bad_request")
    _error(client.get("/api/v1/runs", query_string={"after": after}), 400, "bad_request")


def test_a_cursor_of_another_listing_is_a_400(api):
    client = api("admin")
    tasks_next = client.get("/api/v1/tasks", query_string={"limit": 1}).get_json()["next"]
    assert tasks_next
    _error(client.get("/api/v1/customers", query_string={"after": tasks_next}), 400,
           "bad_request")
    _error(client.get("/api/v1/runs", query_string={"after": tasks_next}), 400, "bad_request")


@pytest.mark.parametrize("query,status", [({"limit": "0"}, 400), ({"limit": "x"}, 400),
                                          ({"limit": "501"}, 400), ({"sort": "secret"}, 400),
                                          ({"ruleset": "nope"}, 422),
                                          ({"status": "gone"}, 422)])
def test_bad_customer_filters(api, query, status):
    _error(api("admin").get("/api/v1/customers", query_string=query), status,
           "bad_request" if status == 400 else "invalid")


def test_customer_detail_follows_the_policy(api):
    for username in USERS:
        _check_details(api(username), username)


def _check_details(client, username):
    for code in ("C1", "C2"):
        response = client.get(f"/api/v1/customers/{code}")
        if code in CUSTOMERS[username]:
            assert response.status_code == 200
            body = response.get_json()
            assert body["code"] == code and body["profile"]["grade"] == "3A"
            assert body["type"] == "hospital"
            [segment] = body["segments"]
            assert segment["ruleset"] == "value_potential" and segment["run_id"]
            assert segment["segment"]["id"] and segment["effective_segment"]["id"]
            assert segment["as_of"] == "2026-10-01"
        else:
            _error(response, 404, "not_found")
    _error(client.get("/api/v1/customers/NOPE"), 404, "not_found")


def test_hostile_names_are_data(api, engine):
    """JSON with the text as it is (UTF-8, not escaped), served as JSON only."""
    hostile = '<script>alert(1)</script>"><img src=x onerror=alert(1)>{{7*7}}'
    with transaction(engine) as session:
        session.execute(update(Customer).where(Customer.code == "C1").values(name=hostile))
    response = api("admin").get("/api/v1/customers/C1")
    assert response.mimetype == "application/json"
    assert response.get_json()["name"] == hostile
    assert "<script>" in response.get_data(as_text=True)      # data, never HTML
    assert response.headers["X-Content-Type-Options"] == "nosniff"


# --- tasks ----------------------------------------------------------------------------------

def _assignees(engine, usernames) -> set[int]:
    with engine.connect() as connection:
        return set(connection.scalars(select(User.id).where(User.username.in_(usernames))))


TASKS_OF = {"admin": {"r1", "r2", "s1"}, "m1": {"r1", "s1"}, "m2": {"r2"}, "r1": {"r1"},
            "r2": {"r2"}, "s1": {"s1"}}


def test_tasks_list_is_what_each_user_sees(api, engine):
    for username, sees in TASKS_OF.items():
        _check_tasks(api, engine, username, sees)


def _check_tasks(api, engine, username, sees):
    body = api(username).get("/api/v1/tasks", query_string={"limit": 500}).get_json()
    assert body["items"]
    assert {item["assignee"] for item in body["items"]} == sees
    first = body["items"][0]
    assert list(first) == ["id", "customer_code", "workflow", "template", "segment",
                           "previous_segment", "title", "kind", "recurring", "assignee",
                           "status", "due_date", "run_id"]
    with engine.connect() as connection:
        expected = connection.scalar(select(Task.id).where(Task.assignee_id.in_(
            select(User.id).where(User.username.in_(sees)))).order_by(Task.id).limit(1))
    assert expected in {item["id"] for item in body["items"]}


def test_tasks_filters(api, world):
    client = api("m1")
    own = client.get("/api/v1/tasks", query_string={"assignee": "s1"}).get_json()["items"]
    assert own and {item["assignee"] for item in own} == {"s1"}
    _error(client.get("/api/v1/tasks", query_string={"assignee": "r2"}), 422, "invalid")
    _error(client.get("/api/v1/tasks", query_string={"assignee": "nobody"}), 422, "invalid")
    _error(client.get("/api/v1/tasks", query_string={"status": "lost"}), 422, "invalid")
    _error(client.get("/api/v1/tasks", query_string={"due_before": "tomorrow"}), 400,
           "bad_request")
    everything = client.get("/api/v1/tasks", query_string={"limit": 500}).get_json()["items"]
    cut = sorted(item["due_date"] for item in everything)[len(everything) // 2]
    early = client.get("/api/v1/tasks", query_string={"due_before": cut,
                                                      "limit": 500}).get_json()["items"]
    assert {i["id"] for i in early} == {i["id"] for i in everything if i["due_date"] < cut}
    done = client.get("/api/v1/tasks", query_string={"status": "done"}).get_json()["items"]
    assert all(item["status"] == "done" for item in done)


def test_tasks_pages_round_trip(api):
    client = api("admin")
    whole = client.get("/api/v1/tasks", query_string={"limit": 500}).get_json()["items"]
    paged = _all_pages(client, "/api/v1/tasks", limit=2)
    assert [item["id"] for item in paged] == [item["id"] for item in whole]
    assert len(paged) > 2


def test_completing_a_task(api, engine, world):
    client = api("r1")
    task_id = world.tasks["r1"]
    response = client.post(f"/api/v1/tasks/{task_id}/complete", json={"note": "已电话沟通"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["task"]["id"] == task_id and body["task"]["status"] == "done"
    with transaction(engine) as session:
        task = session.get(Task, task_id)
        assert (task.status, task.completed_by, task.note) == ("done", "r1", "已电话沟通")
    _error(client.post(f"/api/v1/tasks/{task_id}/complete", json={}), 409, "conflict")


def test_completing_without_a_body_and_no_csrf_token_needed(api, engine, world):
    response = api("s1").post(f"/api/v1/tasks/{world.tasks['s1']}/complete")
    assert response.status_code == 200
    assert response.get_json()["task"]["status"] == "done"


def test_completing_somebody_elses_task_is_a_404(api, engine, world):
    for username in ("r1", "m1", "s1"):
        _error(api(username).post(f"/api/v1/tasks/{world.tasks['r2']}/complete", json={}),
               404, "not_found")
    _error(api("r1").post("/api/v1/tasks/999999/complete", json={}), 404, "not_found")
    with transaction(engine) as session:
        assert session.get(Task, world.tasks["r2"]).status == "open"


@pytest.mark.parametrize("body,status,code", [
    ({"data": "not json", "content_type": "text/plain"}, 400, "bad_request"),
    ({"json": ["a list"]}, 400, "bad_request"),
    ({"json": {"note": 5}}, 422, "invalid"),
    ({"json": {"note": "x" * 2001}}, 422, "invalid")])
def test_bad_completion_bodies(api, engine, world, body, status, code):
    _error(api("r1").post(f"/api/v1/tasks/{world.tasks['r1']}/complete", **body), status, code)
    with transaction(engine) as session:
        assert session.get(Task, world.tasks["r1"]).status == "open"


# --- runs -----------------------------------------------------------------------------------

@pytest.mark.parametrize("username", ("admin", "m1", "m2"))
def test_runs_for_admins_and_managers(api, world, username):
    client = api(username)
    body = client.get("/api/v1/runs").get_json()
    assert [item["id"] for item in body["items"]] == [world.run_id]
    assert body["items"][0]["status"] == "completed" and body["next"] is None
    detail = client.get(f"/api/v1/runs/{world.run_id}").get_json()
    assert detail["ruleset_id"] == "value_potential" and detail["as_of"] == "2026-10-01"
    assert "splits" in detail and "counts" in detail
    visible = sum(cell["customers"] for cell in detail["visible_migration"])
    assert visible == {"admin": 2, "m1": 1, "m2": 1}[username]    # C1, C2; a team's one
    _error(client.get("/api/v1/runs/999999"), 404, "not_found")


@pytest.mark.parametrize("username", ("r1", "s1"))
def test_runs_are_refused_to_reps_and_staff(api, world, username):
    _error(api(username).get("/api/v1/runs"), 403, "forbidden")
    _error(api(username).get(f"/api/v1/runs/{world.run_id}"), 403, "forbidden")


def test_runs_pages(api, engine, world):
    from engine.runs import evaluate_and_follow
    import datetime as dt

    second = evaluate_and_follow(engine, "value_potential", as_of=dt.date(2026, 11, 1),
                                 trigger="cli").run_id
    items = _all_pages(api("admin"), "/api/v1/runs")
    assert [item["id"] for item in items] == [second, world.run_id]


# --- errors ---------------------------------------------------------------------------------

def test_unknown_paths_and_methods_answer_json(api, app, world):
    client = api("admin")
    _error(client.get("/api/v1/nothing-here"), 404, "not_found")
    _error(app.test_client().get("/api/v1/nothing-here"), 404, "not_found")
    _error(client.get(f"/api/v1/tasks/{world.tasks['r1']}/complete"), 405,
           "method_not_allowed")
    _error(client.post("/api/v1/customers"), 405, "method_not_allowed")
    page = app.test_client().get("/no-such-page")
    assert page.status_code == 404 and page.mimetype == "text/html"


def test_a_server_error_answers_json(make_app, engine, world, monkeypatch):
    from web.api import runs

    app = make_app(PROPAGATE_EXCEPTIONS=False)

    def broken(connection, run_id):
        raise RuntimeError("boom")

    monkeypatch.setattr(runs, "run_details", broken)
    response = app.test_client().get(f"/api/v1/runs/{world.run_id}",
                                     headers=auth(bearer_token(app, "admin")))
    error = _error(response, 500, "server_error")
    assert "boom" not in error["message"]
