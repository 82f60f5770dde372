"""``/approvals``: a manager sees the pending challenges on their team's customers, approves
one with an expiry or rejects it with a comment; the rep is notified; both are audited."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from engine import access, challenges
from engine.db import transaction
from engine.models import AuditEntry, Customer, Notification, SegmentOverride, User
from engine.overrides import request_override
from web_support import app, client, make_app, post_form, sign_in, text  # noqa: F401
from web_world import AS_OF, PASSWORD, build_world

HOSTILE = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "{{7*7}}"]
LATER = dt.date(2099, 6, 30)


@pytest.fixture
def world(engine):
    world = build_world(engine)
    # The world's challenge runs until AS_OF + 90 days; keep it in the future whatever the day.
    with transaction(engine) as session:
        session.execute(update(SegmentOverride).values(until=LATER))
    return world


def _override(engine, override_id: int) -> SegmentOverride:
    with transaction(engine) as session:
        return session.get(SegmentOverride, override_id)


def _signed_in(app, username: str):
    client = app.test_client()
    assert sign_in(client, username, PASSWORD).status_code == 302
    return client


def test_a_manager_sees_the_challenge_of_their_rep(app, engine, world):
    page = _signed_in(app, "m1").get("/approvals")
    assert page.status_code == 200
    body = text(page)
    assert "科室扩建, 下季度起量" in body        # the reason
    assert "C1 人民医院" in body and "R1" in body
    assert LATER.isoformat() in body             # the requested expiry is the default
    override = _override(engine, world.challenge_id)
    label = {"star": "明星客户", "cash_cow": "金牛客户", "question": "问题客户",
             "dog": "瘦狗客户"}[override.segment]
    assert label in body
    assert f'action="/approvals/{world.challenge_id}/approve"' in body


def test_another_team_neither_sees_nor_decides_it(app, engine, world):
    client = _signed_in(app, "m2")
    body = text(client.get("/approvals"))
    assert "科室扩建" not in body and "C1 人民医院" not in body
    response = post_form(client, f"/approvals/{world.challenge_id}/approve",
                         {"until": "2099-01-01"}, page="/approvals")
    assert response.status_code == 404
    response = post_form(client, f"/approvals/{world.challenge_id}/reject",
                         {"comment": "不同意"}, page="/approvals")
    assert response.status_code == 404
    assert _override(engine, world.challenge_id).status == "pending"
    missing = post_form(client, "/approvals/999999/approve", {"until": "2099-01-01"},
                        page="/approvals")
    assert missing.status_code == 404


@pytest.mark.parametrize("username", ["r1", "s1"])
def test_reps_and_staff_may_not_decide(app, engine, world, username):
    client = _signed_in(app, username)
    assert client.get("/approvals").status_code == 403
    response = post_form(client, f"/approvals/{world.challenge_id}/approve",
                         {"until": "2099-01-01"})
    assert response.status_code == 403
    assert _override(engine, world.challenge_id).status == "pending"


def test_approving_with_another_expiry_notifies_the_rep_and_is_audited(app, engine, world):
    client = _signed_in(app, "m1")
    response = post_form(client, f"/approvals/{world.challenge_id}/approve",
                         {"until": "2099-03-31"}, page="/approvals")
    assert response.status_code == 303
    override = _override(engine, world.challenge_id)
    assert (override.status, override.decided_by) == ("approved", "m1")
    assert override.until == dt.date(2099, 3, 31)
    with transaction(engine) as session:
        r1 = session.scalar(select(User.id).where(User.username == "r1"))
        notice = session.scalar(select(Notification).where(
            Notification.kind == challenges.CHALLENGE_APPROVED))
        audit = session.scalar(select(AuditEntry).where(AuditEntry.action == "override.approve"))
    assert notice.user_id == r1 and "申诉已批准" in notice.subject and "2099-03-31" in notice.subject
    assert notice.payload["override_id"] == world.challenge_id
    assert audit.actor == "m1" and audit.details["until"] == "2099-03-31"
    page = text(client.get("/approvals"))
    assert "暂无待审批的申诉。" in page          # m1 reads zh
    assert "2099-03-31" in page                 # under recent decisions


def test_rejecting_needs_a_comment(app, engine, world):
    client = _signed_in(app, "m1")
    response = post_form(client, f"/approvals/{world.challenge_id}/reject", {"comment": "  "},
                         page="/approvals")
    assert response.status_code == 400
    assert 'aria-invalid="true"' in text(response)
    assert f'id="comment-{world.challenge_id}-error"' in text(response)
    assert _override(engine, world.challenge_id).status == "pending"
    response = post_form(client, f"/approvals/{world.challenge_id}/reject",
                         {"comment": "数据不支持, 维持原分级"}, page="/approvals")
    assert response.status_code == 303
    override = _override(engine, world.challenge_id)
    assert (override.status, override.decided_by) == ("rejected", "m1")
    with transaction(engine) as session:
        notice = session.scalar(select(Notification).where(
            Notification.kind == challenges.CHALLENGE_REJECTED))
        audit = session.scalar(select(AuditEntry).where(AuditEntry.action == "override.reject"))
    assert notice.body == "数据不支持, 维持原分级" and "申诉未通过" in notice.subject
    assert audit.details["comment"] == "数据不支持, 维持原分级"


@pytest.mark.parametrize("until", ["2000-01-01", "not a date", ""])
def test_a_bad_expiry_is_shown_at_the_field(app, engine, world, until):
    client = _signed_in(app, "m1")
    response = post_form(client, f"/approvals/{world.challenge_id}/approve", {"until": until},
                         page="/approvals")
    assert response.status_code == 400
    body = text(response)
    assert f'id="until-{world.challenge_id}-error"' in body
    assert _override(engine, world.challenge_id).status == "pending"


def test_a_decided_challenge_cannot_be_decided_again(app, engine, world):
    client = _signed_in(app, "admin")
    assert post_form(client, f"/approvals/{world.challenge_id}/reject", {"comment": "否"},
                     page="/approvals").status_code == 303
    again = post_form(client, f"/approvals/{world.challenge_id}/approve",
                      {"until": "2099-01-01"}, page="/approvals")
    assert again.status_code == 409
    assert _override(engine, world.challenge_id).status == "rejected"


def test_a_manager_does_not_decide_their_own_challenge(app, engine, world):
    with transaction(engine) as session:
        segment = _override(engine, world.challenge_id).segment
        own = request_override(session, "C1", segment, LATER, "我自己提的", "m1", today=AS_OF).id
    client = _signed_in(app, "m1")
    response = post_form(client, f"/approvals/{own}/approve", {"until": "2099-01-01"},
                         page="/approvals")
    assert response.status_code == 403
    assert _override(engine, own).status == "pending"


def test_pending_count_follows_the_policy(engine, world):
    with engine.connect() as connection:
        def count(username):
            user = connection.execute(select(User).where(User.username == username)).one()
            return challenges.pending_count(connection, access.Viewer.of(user))

        assert (count("admin"), count("m1"), count("m2"), count("r2")) == (1, 1, 0, 0)


def test_hostile_text_is_shown_as_text(app, engine, world, monkeypatch):
    with transaction(engine) as session:
        session.execute(update(Customer).where(Customer.code == "C1")
                        .values(name=HOSTILE[0] + HOSTILE[2]))
        session.execute(update(SegmentOverride).values(reason=" ".join(HOSTILE)))
    real = challenges.segment_looks

    def hostile_looks(session):
        return {key: challenges.SegmentLook(look.id, {"zh": HOSTILE[1], "en": HOSTILE[1]},
                                            '#"><script>')
                for key, look in real(session).items()}

    monkeypatch.setattr(challenges, "segment_looks", hostile_looks)
    body = text(_signed_in(app, "m1").get("/approvals"))
    assert "<script>alert(1)</script>" not in body and "<img src=x" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in body
    assert "{{7*7}}" in body and ">49<" not in body
    assert '"><script>' not in body             # a colour cannot leave its attribute
