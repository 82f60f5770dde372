"""Sign-in throttling from the audit log: per username and per address, across processes."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from engine.db import transaction
from engine.models import AuditEntry
from web import throttle
from web.throttle import ThrottlePolicy
from web_support import add_user, app, client, make_app, sign_in, text  # noqa: F401

POLICY = ThrottlePolicy()
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch):
    """The throttle's clock, set by the test (``clock.now``)."""

    class Clock:
        now = NOW

    monkeypatch.setattr(throttle, "now", lambda: Clock.now)
    return Clock


def failures(engine, username: str, address: str, count: int, at: datetime) -> None:
    """``count`` failed attempts audited at ``at`` (as other processes would leave them)."""
    with transaction(engine) as session:
        for _ in range(count):
            throttle.record_attempt(session, throttle.FAILED, username, address, at,
                                    reason="wrong password")


def actions(session) -> list[str]:
    return list(session.scalars(select(AuditEntry.action).where(
        AuditEntry.object_type == "login").order_by(AuditEntry.id)))


@pytest.mark.parametrize("count, since_last, wait", [
    (4, 0, 0), (5, 0, 30), (5, 29, 1), (5, 30, 0), (6, 0, 60), (7, 10, 110),
    (9, 0, 480), (10, 0, 900), (30, 0, 900),
])
def test_wait_doubles_from_the_limit_up_to_the_window(count, since_last, wait):
    latest = NOW - timedelta(seconds=since_last)
    assert POLICY.wait(count, latest, POLICY.user_limit, NOW) == timedelta(seconds=wait)


def test_fifth_failure_locks_the_username(client, add_user, clock, session):
    add_user("wangfang")
    for _ in range(5):
        assert sign_in(client, "wangfang", "guess").status_code == 401
    response = sign_in(client, "wangfang")            # the right password, refused unchecked
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "30"
    assert "登录失败次数过多，请 1 分钟后再试。" in text(response)
    assert actions(session) == ["login.failed"] * 5 + ["login.refused"]
    clock.now = NOW + timedelta(seconds=30)
    assert sign_in(client, "wangfang").status_code == 302


def test_refused_attempts_do_not_lengthen_the_wait(client, add_user, clock, engine):
    add_user("wangfang")
    failures(engine, "wangfang", "10.0.0.9", 6, NOW - timedelta(seconds=10))
    for _ in range(5):
        assert sign_in(client, "wangfang").status_code == 429
    clock.now = NOW + timedelta(seconds=50)
    assert sign_in(client, "wangfang").status_code == 302


def test_failures_from_other_processes_count(client, add_user, clock, engine):
    """Another worker's failures are in the database, so this one refuses too."""
    add_user("wangfang")
    failures(engine, "wangfang", "10.0.0.9", 7, NOW - timedelta(seconds=100))
    response = sign_in(client, "wangfang")
    assert response.status_code == 429 and response.headers["Retry-After"] == "20"


def test_failures_older_than_the_window_are_forgotten(client, add_user, clock, engine):
    add_user("wangfang")
    failures(engine, "wangfang", "10.0.0.9", 12, NOW - timedelta(minutes=16))
    assert sign_in(client, "wangfang").status_code == 302


def test_success_resets_the_username_count(client, add_user, clock, engine):
    add_user("wangfang")
    failures(engine, "wangfang", "10.0.0.9", 4, NOW - timedelta(minutes=2))
    assert sign_in(client, "wangfang").status_code == 302
    clock.now = NOW + timedelta(seconds=1)
    failures(engine, "wangfang", "10.0.0.9", 1, clock.now)
    fresh = client.application.test_client()
    assert sign_in(fresh, "wangfang").status_code == 302


def test_many_usernames_from_one_address_are_throttled(client, add_user, clock, engine):
    add_user("wangfang")
    for number in range(20):
        failures(engine, f"guess{number}", "127.0.0.1", 1, NOW - timedelta(seconds=5))
    response = sign_in(client, "wangfang")
    assert response.status_code == 429 and response.headers["Retry-After"] == "25"
    other_address = sign_in(client, "wangfang", address="10.1.2.3")
    assert other_address.status_code == 302


def test_the_address_is_the_proxy_client_when_configured(make_app, add_user, clock, session):
    client = make_app(PROXY_COUNT=1).test_client()
    add_user("wangfang")
    sign_in(client, "wangfang", "guess", **{"X-Forwarded-For": "203.0.113.7"})
    details = session.scalars(select(AuditEntry.details).where(
        AuditEntry.action == "login.failed")).one()
    assert details == {"address": "203.0.113.7", "reason": "wrong password"}
