"""Hostile input on every page (issue 10 item 10): a customer name, profile value, field label,
option label, segment label, task title and note holding markup or template syntax is shown as
text on every page a user can open, for every role; no page answers 500 on it.

The pages are those of ``tests/route_table`` (every GET route of the app is declared there), so
a new page is covered as soon as it is declared.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy import update

from engine.db import transaction
from engine.models import Customer, Notification, Task
from engine.packs import import_pack
from packs_support import copy_default_pack
from route_table import declared_routes
from web_support import app, make_app, sign_in  # noqa: F401  (fixtures)
from web_world import PASSWORD, USER_OF_ROLE, _world_snapshot, world  # noqa: F401

SCRIPT = "<script>alert('x')</script>"
IMAGE = '"><img src=x onerror=alert(1)>'
TEMPLATE = "{{7*7}}"
HOSTILE = f"{SCRIPT}{IMAGE}{TEMPLATE}"
RAW_MARKUP = ("<script>alert(", "<img src=x")
PAGES = [route for route in declared_routes()
         if route.method == "GET" and not route.api and route.anonymous != "public"]


def _hostile_pack(destination: Path) -> Path:
    """The default pack with a hostile field label, option label and segment label."""
    pack = copy_default_pack(destination)
    form_path = pack / "forms" / "hospital.yaml"
    form = yaml.safe_load(form_path.read_text(encoding="utf-8"))
    form["fields"][0]["label"] = {"zh": HOSTILE, "en": HOSTILE}
    form["fields"][0]["options"][0]["label"] = {"zh": HOSTILE, "en": HOSTILE}
    form_path.write_text(yaml.safe_dump(form, allow_unicode=True), encoding="utf-8")
    rules_path = pack / "rules" / "value_potential.yaml"
    rules = yaml.safe_load(rules_path.read_text(encoding="utf-8"))
    for segment in rules["classification"]["segments"].values():
        segment["label"] = {"zh": HOSTILE, "en": HOSTILE}
    rules_path.write_text(yaml.safe_dump(rules, allow_unicode=True), encoding="utf-8")
    return pack


@pytest.fixture
def hostile_world(world, engine, tmp_path):
    import_pack(engine, _hostile_pack(tmp_path / "pack"), actor="test")
    with transaction(engine) as session:
        session.execute(update(Customer).values(name=HOSTILE, city=HOSTILE))
        for customer in session.query(Customer):
            customer.profile = {**customer.profile, "expansion_note": HOSTILE}
        session.execute(update(Task).values(title={"zh": HOSTILE, "en": HOSTILE}, note=HOSTILE))
        session.execute(update(Notification).values(subject=HOSTILE, body=HOSTILE))
    return world


@pytest.mark.parametrize("role", ["admin", "manager", "rep", "staff"])
def test_every_page_shows_hostile_text_as_text(app, hostile_world, role):
    client = app.test_client()
    assert sign_in(client, USER_OF_ROLE[role], PASSWORD).status_code == 302
    shown_somewhere = False
    for route in PAGES:
        if role not in route.roles:
            continue
        url = route.url(hostile_world.own(role))
        response = client.get(url)
        assert response.status_code < 500, f"{url} as {role}: {response.status_code}"
        if response.mimetype != "text/html":
            continue    # a CSV holds the text as it is; formulas: test_web_customer_list
        body = response.get_data(as_text=True)
        for markup in RAW_MARKUP:
            assert markup not in body, f"{url} as {role} shows {markup!r} as markup"
        shown_somewhere |= "&lt;script&gt;alert(" in body
    assert shown_somewhere, "no page showed the hostile text at all: the test tests nothing"
