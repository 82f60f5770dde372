"""The studio's golden customers page (pin by name or code search, change, unpin) and publish
with a note: a version that breaks golden expectations is published only on confirmation,
and the note, who and when appear in the definition's history."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from engine.db import transaction
from engine.definitions import golden, store
from engine.evaluation import evaluate
from engine.models import AuditEntry, Customer, GoldenCustomer
from web_support import app, make_app, post_form, sign_in, text  # noqa: F401  (fixtures)
from web_world import PASSWORD, RULESET, _world_snapshot, world  # noqa: F401  (fixtures)

RULESET_PAGE = f"/studio/ruleset/{RULESET}"
GOLDEN = f"{RULESET_PAGE}/golden"
HOSTILE_NAME = '<img src=x onerror="alert(1)">协和医院'
HOSTILE_NOTE = "<script>alert('note')</script> 必须是明星"
SEGMENTS = re.compile(r"^(\s+)(\w+):(\s+)\{value: (high|low), potential: (high|low),", re.M)


def _client(app, username: str = "admin"):
    client = app.test_client()
    assert sign_in(client, username, PASSWORD).status_code == 302
    return client


def _pins(engine) -> list[tuple[str, str, str | None]]:
    with transaction(engine) as session:
        return [(p.customer_code, p.expected, p.note)
                for p in golden.expectations(session, RULESET)]


def _published(engine) -> int:
    with transaction(engine) as session:
        return store.published_version(
            session, store.get_definition(session, "ruleset", RULESET)).number


def _segment_now(engine, code: str) -> str:
    result = evaluate(engine, RULESET, dry_run=True)
    return dict(zip(map(str, result.population.codes), map(str, result.segments)))[code]


def _inverted_draft(client, engine) -> int:
    """Save, through the YAML editor, the ruleset with every segment's sides flipped."""
    flip = {"high": "low", "low": "high"}
    with transaction(engine) as session:
        source = store.latest_version(session, store.get_definition(
            session, "ruleset", RULESET)).source
    inverted = SEGMENTS.sub(
        lambda m: f"{m[1]}{m[2]}:{m[3]}{{value: {flip[m[4]]}, potential: {flip[m[5]]},", source)
    assert inverted != source
    response = post_form(client, f"{RULESET_PAGE}/edit", {"source": inverted},
                         page=f"{RULESET_PAGE}/edit")
    assert response.status_code == 303
    return 2


def test_an_admin_finds_pins_and_unpins_a_customer(app, world, engine):
    client = _client(app)
    page = text(client.get(f"{GOLDEN}?q=人民"))
    for code in ("C1", "C2", "C3"):
        assert f'name="customer" value="{code}"' in page
    response = post_form(client, GOLDEN, {"customer": "C1", "segment": "star",
                                          "note": "院长关系好"}, page=GOLDEN)
    assert response.status_code == 303 and response.headers["Location"].endswith(GOLDEN)
    assert _pins(engine) == [("C1", "star", "院长关系好")]
    page = text(client.get(GOLDEN))
    assert "院长关系好" in page and 'href="/customers/C1"' in page
    assert "/golden/remove" in page
    assert post_form(client, GOLDEN, {"customer": "C1", "segment": "dog", "note": ""},
                     page=GOLDEN).status_code == 303
    assert _pins(engine) == [("C1", "dog", None)]
    assert post_form(client, f"{GOLDEN}/remove", {"customer": "C1"},
                     page=GOLDEN).status_code == 303
    assert _pins(engine) == []
    assert post_form(client, f"{GOLDEN}/remove", {"customer": "C1"},
                     page=GOLDEN).status_code == 404
    with transaction(engine) as session:
        actions = session.scalars(select(AuditEntry.action).where(
            AuditEntry.object_type == golden.AUDIT_OBJECT).order_by(AuditEntry.id)).all()
    assert actions == ["golden.pin", "golden.change", "golden.unpin"]


def test_a_bad_pin_is_shown_at_its_fields_and_stores_nothing(app, world, engine):
    client = _client(app)
    response = post_form(client, GOLDEN, {"customer": "NOPE", "segment": "stellar",
                                          "note": "x" * 501}, page=GOLDEN)
    assert response.status_code == 400
    page = text(response)
    for field in ("customer", "segment", "note"):
        assert f'id="golden-{field}-errors"' in page
        assert f'aria-describedby="golden-{field}-errors"' in page
    assert "no customer with code &#39;NOPE&#39;" in page and "stellar" in page
    assert 'value="NOPE"' in page                       # what was typed is kept
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(GoldenCustomer)) == 0
    assert client.get("/studio/ruleset/no_such/golden").status_code == 404
    assert client.get("/studio/form/hospital/golden").status_code == 404


def test_hostile_names_and_notes_show_as_text(app, world, engine):
    with transaction(engine) as session:
        session.add(Customer(code="HX1", name=HOSTILE_NAME, normalized_name="协和医院",
                             type="hospital", status="active", profile={}))
    client = _client(app)
    found = text(client.get(f"{GOLDEN}?q=协和"))
    assert 'value="HX1"' in found and HOSTILE_NAME not in found
    assert post_form(client, GOLDEN, {"customer": "HX1", "segment": _segment_now(engine, "HX1"),
                                      "note": HOSTILE_NOTE}, page=GOLDEN).status_code == 303
    page = text(client.get(GOLDEN))
    assert HOSTILE_NAME not in page and HOSTILE_NOTE not in page
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;协和医院" in page
    assert "&lt;script&gt;alert(&#39;note&#39;)&lt;/script&gt;" in page
    number = _inverted_draft(client, engine)
    confirm = text(post_form(client, f"{RULESET_PAGE}/publish",
                             {"number": str(number), "note": HOSTILE_NOTE}, page=RULESET_PAGE))
    assert 'name="confirm" value="1"' in confirm        # the draft moves HX1
    assert HOSTILE_NAME not in confirm and HOSTILE_NOTE not in confirm
    assert post_form(client, f"{RULESET_PAGE}/publish", {"number": str(number), "confirm": "1",
                                                         "note": HOSTILE_NOTE},
                     page=RULESET_PAGE).status_code == 303
    history = text(client.get(RULESET_PAGE))
    assert HOSTILE_NOTE not in history and "&lt;script&gt;alert(&#39;note&#39;)" in history


def test_publishing_a_draft_that_breaks_a_pin_asks_for_confirmation(app, world, engine):
    client = _client(app)
    expected = _segment_now(engine, "C1")
    assert post_form(client, GOLDEN, {"customer": "C1", "segment": expected, "note": "守住"},
                     page=GOLDEN).status_code == 303
    number = _inverted_draft(client, engine)
    response = post_form(client, f"{RULESET_PAGE}/publish",
                         {"number": str(number), "note": "上市前加权"}, page=RULESET_PAGE)
    assert response.status_code == 200 and _published(engine) == 1
    page = text(response)
    assert 'name="confirm" value="1"' in page and 'value="上市前加权"' in page
    assert "C1 人民医院" in page and "守住" in page and f'name="number" value="{number}"' in page
    assert f'action="{RULESET_PAGE}/publish"' in page
    response = post_form(client, f"{RULESET_PAGE}/publish",
                         {"number": str(number), "note": "上市前加权", "confirm": "1"},
                         page=RULESET_PAGE)
    assert response.status_code == 303 and _published(engine) == number
    history = text(client.get(RULESET_PAGE))
    section = history[history.index('id="history"'):history.index('id="diff"')]
    assert "上市前加权" in section and "admin" in section and "C1" in section
    assert re.search(r"<time datetime=\"\d{4}-\d\d-\d\dT", section)


def test_a_rollback_records_its_note_in_the_history(app, world, engine):
    client = _client(app)
    number = _inverted_draft(client, engine)
    assert post_form(client, f"{RULESET_PAGE}/publish", {"number": str(number), "note": "试试"},
                     page=RULESET_PAGE).status_code == 303        # nobody pinned: no question
    assert post_form(client, f"{RULESET_PAGE}/rollback", {"number": "1", "note": "效果不好, 回滚"},
                     page=RULESET_PAGE).status_code == 303
    assert _published(engine) == number + 1
    page = text(client.get(RULESET_PAGE))
    section = page[page.index('id="history"'):page.index('id="diff"')]
    assert section.index("效果不好, 回滚") < section.index("试试")     # newest first
    assert "rollback to version 1" in section


def test_a_too_long_note_publishes_nothing(app, world, engine):
    client = _client(app)
    number = _inverted_draft(client, engine)
    response = post_form(client, f"{RULESET_PAGE}/publish",
                         {"number": str(number), "note": "长" * 501}, page=RULESET_PAGE)
    assert response.status_code == 303 and _published(engine) == 1
    assert "501" in text(client.get(RULESET_PAGE))      # the flashed problem


def test_the_ruleset_page_links_its_golden_customers(app, world):
    client = _client(app)
    assert f'href="{GOLDEN}"' in text(client.get(RULESET_PAGE))
    assert "/golden" not in text(client.get("/studio/form/hospital"))
    for username in ("m1", "r1", "s1"):
        other = _client(app, username)
        assert other.get(GOLDEN).status_code == 403
        assert post_form(other, GOLDEN, {"customer": "C1", "segment": "star"}).status_code == 403
