"""Every route × every role (SPEC §5.1): each rule of ``app.url_map`` must be declared in
``tests/route_table``; then each is requested anonymously and as a user of each role, with the user's
own record and with somebody else's, and must answer what its declaration says: the user's own
record one of ``ok``, somebody else's 404 (as for a record that does not exist), a role that may
not use it 403, an anonymous visitor the sign-in page (the API: 401).

A route that changes something is tried on a fresh world for each role, so that one role's
change cannot decide another's answer.
"""
from __future__ import annotations

import pytest

from route_table import Route, declared_routes
from web_support import csrf_token, sign_in
from web_world import PASSWORD, USER_OF_ROLE, _world_snapshot, world  # noqa: F401
from web_support import app, make_app  # noqa: F401  (fixtures)

IGNORED_METHODS = {"HEAD", "OPTIONS"}
ROUTES = declared_routes()


def _rules(app) -> set[tuple[str, str]]:
    return {(rule.endpoint, method) for rule in app.url_map.iter_rules()
            if rule.endpoint != "static" for method in rule.methods - IGNORED_METHODS}


def test_every_route_is_declared(app):
    declared = {(route.endpoint, route.method) for route in ROUTES}
    undeclared = sorted(_rules(app) - declared)
    stale = sorted(declared - _rules(app))
    assert undeclared == [], f"routes without a declaration in tests/route_table: {undeclared}"
    assert stale == [], f"declared routes the app does not have: {stale}"


def _request(app, route: Route, records: dict, role: str | None):
    client = app.test_client()
    headers = {}
    if role is not None and route.api:
        from api_support import bearer_token      # the API's own token helper
        headers["Authorization"] = f"Bearer {bearer_token(app, USER_OF_ROLE[role])}"
    elif role is not None:
        assert sign_in(client, USER_OF_ROLE[role], PASSWORD).status_code == 302
    url = route.url(records)
    if route.method == "GET":
        return client.get(url, headers=headers)
    if route.api:
        return client.open(url, method=route.method, json=route.data, headers=headers)
    token = csrf_token(client, "/login" if role is None else "/")
    return client.open(url, method=route.method, data={"csrf_token": token, **route.data})


def _expect_anonymous(route: Route, response) -> None:
    if route.anonymous == "public":
        assert response.status_code in route.ok + (200,), response.status_code
    elif route.anonymous == "401":
        assert response.status_code == 401
    else:
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def _check(app, route: Route, world, role: str | None, which: str) -> None:
    records = world.own(role or "rep") if which == "own" else world.other(role or "rep")
    response = _request(app, route, records, role)
    where = f"{route.method} {route.url(records)} as {role or 'anonymous'} ({which})"
    status = response.status_code
    if role is None:
        return _expect_anonymous(route, response)
    if role not in route.roles:
        assert status == 403, f"{where}: {status}, expected 403"
    elif which == "other" and route.record is not None and (
            role != "admin" or not route.admin_sees_all):
        assert status == 404, f"{where}: {status}, expected 404"
    else:
        assert status in route.ok, f"{where}: {status}, expected one of {route.ok}"


ROLES = (None, "admin", "manager", "rep", "staff")
# A route that only reads is tried for every role on one world; one that changes something on
# a fresh world per role.
CASES = ([(route, ROLES) for route in ROUTES if not route.changes_something]
         + [(route, (role,)) for route in ROUTES if route.changes_something for role in ROLES])


def _case_id(case) -> str:
    route, roles = case
    who = "all" if len(roles) > 1 else (roles[0] or "anonymous")
    return f"{route.method} {route.path} {who}"


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_route_for_every_role(case, world, make_app):
    route, roles = case
    app = make_app(RATELIMIT_ENABLED=False)
    for role in roles:
        # Somebody else's record first: refused, it must leave the user's own untouched.
        if route.record is not None:
            _check(app, route, world, role, "other")
        _check(app, route, world, role, "own")
