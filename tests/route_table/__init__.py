"""Declared routes: every URL rule of the app, with who may use it, for the route × role test
(``tests/test_web_routes.py``). One module per area (``tests/route_table/<area>.py``) defines
``ROUTES``; a rule of ``app.url_map`` that no module declares fails the test, so a new route is
denied until it is declared here.

A path may name the records of ``tests.web_world.World`` as ``{customer}``, ``{task}``,
``{run}``, ``{challenge}``, ``{notification}``, ``{user}`` and ``{job}``: the test fills them with the
signed-in user's own record, and again with somebody else's.
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field

ALL_ROLES = ("admin", "manager", "rep", "staff")


@dataclass(frozen=True)
class Route:
    """One URL rule and what each kind of visitor gets from it.

    - ``roles``: the roles that may use it; any other role is answered 403.
    - ``record``: the placeholder whose record decides visibility: the user's own answers one of
      ``ok``, somebody else's 404 (an admin sees both). ``None``: the same for everyone allowed.
    - ``data``: the form fields of a POST (the CSRF token is added) or the JSON body of an API
      call; ``ok``: the statuses a permitted request may answer.
    - ``anonymous``: ``"login"`` (sent to sign in), ``"public"`` (answered as to anyone),
      ``"401"`` (the API without a token).
    - ``api``: signed in with a bearer token instead of a session.
    - ``admin_sees_all``: an admin sees somebody else's record too (False: a notification,
      which is its addressee's alone).
    """

    endpoint: str
    path: str
    method: str = "GET"
    roles: tuple[str, ...] = ALL_ROLES
    record: str | None = None
    data: dict = field(default_factory=dict)
    ok: tuple[int, ...] = (200,)
    anonymous: str = "login"
    api: bool = False
    admin_sees_all: bool = True

    @property
    def changes_something(self) -> bool:
        return self.method != "GET"

    def url(self, records: dict[str, object]) -> str:
        return self.path.format(**records)


def declared_routes() -> list[Route]:
    """Every ``ROUTES`` entry of every module of this package."""
    routes = []
    for module in pkgutil.iter_modules(__path__):
        routes.extend(importlib.import_module(f"{__name__}.{module.name}").ROUTES)
    return routes
