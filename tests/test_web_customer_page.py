"""The customer page: segment and why, profile edit with visible_if, challenge, history, tasks,
facts, and the visibility policy (another rep's customer answers 404)."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from engine.db import transaction
from engine.definitions.published import published_spec
from engine.evaluation.explain import explain
from engine.models import AuditEntry, Customer, SegmentOverride, Visit
from web_support import app, client, make_app, post_form, sign_in, text  # noqa: F401
from web_world import PASSWORD, _world_snapshot, world  # noqa: F401  (fixtures)

HOSTILE = ('<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', '{{7*7}}')


def signed_in(app, username: str):
    client = app.test_client()
    assert sign_in(client, username, PASSWORD).status_code == 302
    return client


def page(client, code="C1", status=200) -> str:
    response = client.get(f"/customers/{code}")
    assert response.status_code == status, text(response)[:2000]
    return text(response)


def profile_of(engine, code="C1") -> dict:
    with transaction(engine) as session:
        return dict(session.scalar(select(Customer.profile).where(Customer.code == code)))


# --- the page --------------------------------------------------------------------------------

def test_page_shows_segment_and_why_with_the_numbers_of_explain(engine, app, world):
    client = signed_in(app, "r1")
    body = page(client)
    found = explain(engine, "C1", "value_potential", world.run_id)
    assert "C1 人民医院" in body
    assert 'id="why"' in body
    # Every item's points, weight and contribution, and each axis score, as explain has them.
    from web.customer_text import shown
    with app.test_request_context():
        for axis in found.axes:
            assert f'<span class="axis-score">{shown(axis.score)}</span>' in body
            for item in axis.items:
                row = re.search(r"<tr>\s*<th scope=\"row\">[^<]*</th>\s*"
                                r"<td data-label=\"[^\"]*\">[^<]*</td>"
                                r"\s*<td[^>]*>[^<]*</td>\s*"
                                rf"<td class=\"num\"[^>]*>{re.escape(shown(item.points))}</td>\s*"
                                rf"<td class=\"num\"[^>]*>{re.escape(shown(item.weight))}</td>\s*"
                                rf"<td class=\"num\"[^>]*>{re.escape(shown(item.contribution))}</td>",
                                body)
                assert row, f"no row for {item.metric} in the why table"
    # A field metric's value is shown by its option's label; a number as the rep reads it.
    why = body.split('id="why"', 1)[1].split('id="profile"', 1)[0]
    assert re.search(r'<td data-label="[^"]*">扩建/新增床位</td>', why)
    assert re.search(r'<td data-label="[^"]*">1,200</td>', why)
    # The computed segment's badge carries its color from the ruleset.
    with transaction(engine) as session:
        spec = published_spec(session, "ruleset", "value_potential")
    segment = next(s for s in spec.segments if s.id == found.segment)
    assert re.search(rf'<circle [^>]*fill="{re.escape(segment.color)}"/></svg>'
                     rf'{re.escape(segment.label.get("zh"))}</span>', body)
    # The pending challenge of the world is shown, with its reason.
    assert "科室扩建, 下季度起量" in body


def test_page_lists_facts_tasks_and_history(app, world):
    client = signed_in(app, "r1")
    body = page(client)
    assert "O-C1" in body                       # the order
    assert "900,000.00" in body                 # its amount (cents shown as yuan)
    assert "2026-10-01" in body                 # the run date in the history
    assert 'id="tasks"' in body and f'/tasks/{world.tasks["r1"]}' in body
    # A staff member sees only their own task of C1, not r1's.
    staff = page(signed_in(app, "s1"))
    assert f'/tasks/{world.tasks["s1"]}' in staff
    assert f'/tasks/{world.tasks["r1"]}"' not in staff


def test_another_reps_customer_is_not_found(app, world):
    client = signed_in(app, "r1")
    page(client, "C2", status=404)
    assert client.get("/customers/C2/facts/orders").status_code == 404
    assert client.get("/customers/NOPE").status_code == 404
    assert post_form(client, "/customers/C2/profile", {"grade": "3A"}).status_code == 404
    assert post_form(client, "/customers/C2/challenge",
                     {"ruleset": "value_potential", "segment": "dog", "reason": "x",
                      "until": "2099-01-01"}).status_code == 404
    # Their manager sees it.
    assert "C2 人民医院" in page(signed_in(app, "m2"), "C2")
    page(signed_in(app, "m1"), "C2", status=404)


def test_facts_are_paged(engine, app, world):
    with transaction(engine) as session:
        customer = session.scalar(select(Customer).where(Customer.code == "C1"))
        for day in range(25):
            session.add(Visit(visit_id=f"V{day:03d}", customer_id=customer.id,
                              date=dt.date(2026, 1, 1) + dt.timedelta(days=day),
                              channel="visit"))
    client = signed_in(app, "r1")
    body = page(client)
    assert "V024" in body and "V010" not in body
    assert "/customers/C1/facts/visits?page=2" in body
    second = text(client.get("/customers/C1/facts/visits?page=2"))
    assert "V014" in second and "V005" in second and "V024" not in second
    assert "page=3" in second
    third = text(client.get("/customers/C1/facts/visits?page=3"))
    assert "V000" in third and "page=4" not in third
    assert client.get("/customers/C1/facts/bogus").status_code == 404


def test_export_csv_is_not_taken_for_a_customer_code(app):
    # The list's export is a static rule, which werkzeug prefers to <code>; probe it when the
    # list blueprint does not define it (yet).
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    if "/customers/export.csv" not in rules:
        app.add_url_rule("/customers/export.csv", "probe_export", lambda: "export")
    adapter = app.url_map.bind("localhost")
    assert adapter.match("/customers/export.csv")[0] != "customer.show"
    assert adapter.match("/customers/C1")[0] == "customer.show"


# --- profile ---------------------------------------------------------------------------------

VALID = {"grade": "3B", "beds": "900", "annual_outpatients": "", "development_plan": "stable",
         "academic_influence": "local", "prescription_openness": "open",
         "region_growth": "5.5", "key_contact": "王主任", "contact_email": "wang@example.com"}


def test_profile_edit_is_saved_and_audited(engine, app, world):
    client = signed_in(app, "r1")
    response = post_form(client, "/customers/C1/profile", VALID, "/customers/C1")
    assert response.status_code == 302
    profile = profile_of(engine)
    assert profile["grade"] == "3B" and profile["beds"] == 900
    assert profile["region_growth"] == 5.5 and profile["key_contact"] == "王主任"
    assert "annual_outpatients" not in profile
    with transaction(engine) as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "customer.profile"))
        assert entry.actor == "r1" and entry.object_id == "C1"
        assert entry.details["changed"]["beds"] == [1200, 900]


def test_invalid_profile_value_is_shown_at_the_field_and_nothing_is_stored(engine, app, world):
    before = profile_of(engine)
    client = signed_in(app, "r1")
    response = post_form(client, "/customers/C1/profile",
                         {**VALID, "beds": "30000", "contact_email": "not-an-email"},
                         "/customers/C1")
    assert response.status_code == 400
    body = text(response)
    assert re.search(r'id="pf-beds"[^>]*aria-invalid="true"', body)
    assert re.search(r'id="pf-beds-errors" class="field-errors"><li>[^<]*20000', body)
    assert 'id="pf-contact_email-errors"' in body
    assert 'value="30000"' in body              # what was typed stays in the field
    assert profile_of(engine) == before
    with transaction(engine) as session:
        assert session.scalar(select(AuditEntry).where(
            AuditEntry.action == "customer.profile")) is None


def test_visible_if_hides_a_field_until_its_condition_holds(engine, app, world):
    client = signed_in(app, "r1")
    body = page(client)      # C1's plan is 'expanding': the expansion note is shown
    assert re.search(r'<div class="field conditional" >\s*<label for="pf-expansion_note"', body)
    stable = text(client.get("/customers/C1/profile/form?development_plan=stable"))
    assert re.search(r'<div class="field conditional" hidden>\s*<label for="pf-expansion_note"',
                     stable)
    assert re.search(r'id="pf-expansion_note"[^>]* disabled', stable)
    # A hidden field is not stored from a submission; a shown one is.
    post_form(client, "/customers/C1/profile",
              {**VALID, "development_plan": "stable", "expansion_note": "新院区"},
              "/customers/C1")
    assert "expansion_note" not in profile_of(engine)
    post_form(client, "/customers/C1/profile",
              {**VALID, "development_plan": "expanding", "expansion_note": "新院区"},
              "/customers/C1")
    assert profile_of(engine)["expansion_note"] == "新院区"


def test_staff_may_not_edit_or_challenge(app, world):
    client = signed_in(app, "s1")
    body = page(client)
    assert 'id="profile-form"' not in body and "ch-value_potential-segment" not in body
    assert post_form(client, "/customers/C1/profile", VALID).status_code == 403
    assert post_form(client, "/customers/C1/challenge", {"segment": "dog"}).status_code == 403


# --- challenge -------------------------------------------------------------------------------

def test_challenge_creates_a_pending_override_and_an_audit_entry(engine, app, world):
    client = signed_in(app, "r1")
    until = (dt.date.today() + dt.timedelta(days=60)).isoformat()
    response = post_form(client, "/customers/C1/challenge",
                         {"ruleset": "value_potential", "segment": "dog",
                          "reason": "门诊量下降", "until": until}, "/customers/C1")
    assert response.status_code == 302
    with transaction(engine) as session:
        override = session.scalar(select(SegmentOverride).where(
            SegmentOverride.reason == "门诊量下降"))
        assert override.status == "pending" and override.requested_by == "r1"
        assert override.until.isoformat() == until
        assert session.scalar(select(AuditEntry).where(
            AuditEntry.action == "override.request",
            AuditEntry.object_id == str(override.id))) is not None
    assert "门诊量下降" in page(client)


def test_challenge_errors_are_at_the_field(engine, app, world):
    client = signed_in(app, "r1")
    response = post_form(client, "/customers/C1/challenge",
                         {"ruleset": "value_potential", "segment": "nonsense", "reason": " ",
                          "until": "2000-01-01"}, "/customers/C1")
    assert response.status_code == 400
    body = text(response)
    for name in ("segment", "reason", "until"):
        assert f'id="ch-value_potential-{name}-errors"' in body
    bad_date = post_form(client, "/customers/C1/challenge",
                         {"ruleset": "value_potential", "segment": "dog", "reason": "x",
                          "until": "soon"}, "/customers/C1")
    assert bad_date.status_code == 400 and 'ch-value_potential-until-errors' in text(bad_date)
    with transaction(engine) as session:
        assert session.scalar(select(SegmentOverride).where(
            SegmentOverride.requested_by == "r1", SegmentOverride.segment == "nonsense")) is None


# --- duplicates and hostile data ---------------------------------------------------------------

def test_duplicate_hint_names_a_similar_visible_customer(engine, app, world):
    with transaction(engine) as session:
        c1 = session.scalar(select(Customer).where(Customer.code == "C1"))
        session.add(Customer(code="C9", name="C1 人民医院 ", normalized_name=c1.normalized_name,
                             type="hospital", region="浙江省", city="杭州市",
                             owner_id=c1.owner_id, status="active", profile={}))
    body = page(signed_in(app, "r1"))
    assert 'class="duplicate-hint"' in body and "/customers/C9" in body
    # r2 cannot see C1, so C2's page names no duplicate they may not see.
    assert "/customers/C9" not in page(signed_in(app, "r2"), "C2")


def test_hostile_data_is_shown_as_text(engine, app, world):
    with transaction(engine) as session:
        customer = session.scalar(select(Customer).where(Customer.code == "C1"))
        customer.name = HOSTILE[0] + HOSTILE[2]
        customer.profile = {**customer.profile, "key_contact": HOSTILE[1],
                            "expansion_note": HOSTILE[0]}
        session.add(SegmentOverride(customer_id=customer.id, ruleset_id="value_potential",
                                    segment="dog", until=dt.date(2099, 1, 1),
                                    reason=HOSTILE[1], status="pending", requested_by="r1"))
    client = signed_in(app, "r1")
    body = page(client)
    assert "<script>alert(1)" not in body
    assert "<img src=x" not in body
    assert "{{7*7}}" in body
    assert "&lt;script&gt;" in body and "&#34;&gt;&lt;img src=x" in body
    staff = page(signed_in(app, "s1"))          # the read-only profile too
    assert "&#34;&gt;&lt;img src=x" in staff and "<img src=x" not in staff
