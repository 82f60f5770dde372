"""Notification delivery against a real SMTP server and a real HTTP receiver on localhost."""
from __future__ import annotations

import os
import re
import subprocess
from collections import Counter

import pytest
from sqlalchemy import select

from engine.errors import InvalidInput
from engine.models import AuditEntry, Notification, User
from engine.notify import NotifySettings, deliver_pending
from tests.scheduler_support import ROOT, SmtpSink, WebhookReceiver, free_port, kamflow

SECRET = "s3cret-签名"


@pytest.fixture
def users(session):
    people = {
        "rep1": User(username="rep1", name="王芳", role="rep", email="rep1@example.cn"),
        "rep2": User(username="rep2", name="李雷", role="rep", email=None),
        "gone": User(username="gone", name="Gone", role="rep", email="gone@x.cn", active=False),
        "admin": User(username="admin", name="Admin", role="admin", email="admin@example.cn"),
        "boss": User(username="boss", name="Boss", role="admin", email="boss@example.cn"),
    }
    session.add_all(people.values())
    session.commit()
    return people


def notify(session, user, kind="task_created", subject="新任务:拜访协和医院", **payload):
    note = Notification(user_id=user.id if user else None, kind=kind, subject=subject,
                        body=f"{subject}\n截止 2026-04-15", payload=payload)
    session.add(note)
    session.commit()
    return note


def statuses(session, column="email_status"):
    session.rollback()
    session.expire_all()
    return [getattr(n, column) for n in session.scalars(select(Notification)
                                                        .order_by(Notification.id))]


def smtp_settings(sink, **more):
    return NotifySettings(smtp_host="127.0.0.1", smtp_port=sink.port, smtp_from="kamflow@x.cn",
                          **more)


def test_email_reaches_the_user_once(engine, session, users):
    notify(session, users["rep1"], task=17)
    with SmtpSink() as sink:
        first = deliver_pending(engine, smtp_settings(sink))
        second = deliver_pending(engine, smtp_settings(sink))
    assert [m["To"] for m in sink.messages] == ["rep1@example.cn"]
    message = sink.messages[0]
    assert message["Subject"] == "新任务:拜访协和医院"
    assert message["From"] == "kamflow@x.cn"
    assert "截止 2026-04-15" in message.get_content()
    assert first.counts["email"] == Counter(sent=1) and not second.counts["email"]
    assert statuses(session) == ["sent:1"]
    # The webhook is not configured: its rows are settled, not left pending forever.
    assert statuses(session, "webhook_status") == ["skipped:off"]


def test_admin_notices_go_to_every_active_admin_and_odd_addressees_are_skipped(
        engine, session, users):
    notify(session, None, kind="task_unassigned", subject="Nobody matches task roi_review")
    notify(session, users["rep2"])
    notify(session, users["gone"])
    with SmtpSink() as sink:
        report = deliver_pending(engine, smtp_settings(sink))
    assert sink.envelopes == [("kamflow@x.cn", ["admin@example.cn", "boss@example.cn"])]
    assert statuses(session) == ["sent:1", "skipped:no-address", "skipped:inactive"]
    assert report.counts["email"] == Counter(sent=1, skipped=2)


def test_an_unreachable_smtp_server_is_retried_then_given_up(engine, session, users):
    notify(session, users["rep1"])
    sleeps = []
    settings = NotifySettings(smtp_host="127.0.0.1", smtp_port=free_port(),
                              smtp_from="k@x.cn", max_attempts=3, backoff_seconds=0.01,
                              timeout_seconds=2)
    report = deliver_pending(engine, settings, sleep=sleeps.append)
    assert statuses(session) == ["failed:3"] and sleeps == [0.01, 0.02]
    assert report.counts["email"] == Counter(failed=1)


def test_webhook_posts_signed_json(engine, session, users):
    note = notify(session, users["rep1"], kind="segment_changed", subject="协和医院: 问题 → 明星",
                  customer="H001", previous="question", segment="star")
    with WebhookReceiver(SECRET) as receiver:
        deliver_pending(engine, NotifySettings(webhook_url=receiver.url, webhook_secret=SECRET))
        deliver_pending(engine, NotifySettings(webhook_url=receiver.url, webhook_secret=SECRET))
    [received] = receiver.accepted
    assert received.signature_ok
    assert received.headers["Content-Type"] == "application/json; charset=utf-8"
    assert received.headers["X-Kamflow-Delivery"] == str(note.id)
    assert received.headers["X-Kamflow-Event"] == "segment_changed"
    document = received.document
    assert document["kind"] == "segment_changed" and document["user"] == "rep1"
    assert document["subject"] == "协和医院: 问题 → 明星"
    assert document["payload"] == {"customer": "H001", "previous": "question", "segment": "star"}
    assert statuses(session, "webhook_status") == ["sent:1"]


def test_a_signature_made_with_another_secret_does_not_verify(engine, session, users):
    notify(session, users["rep1"])
    with WebhookReceiver("the receiver's secret") as receiver:
        deliver_pending(engine, NotifySettings(webhook_url=receiver.url, webhook_secret=SECRET))
    assert [r.signature_ok for r in receiver.accepted] == [False]


def test_webhook_retries_with_exponential_backoff(engine, session, users):
    notify(session, users["rep1"])
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)

    with WebhookReceiver(SECRET, fail_first=3) as receiver:
        deliver_pending(engine, NotifySettings(webhook_url=receiver.url, webhook_secret=SECRET,
                                               max_attempts=5, backoff_seconds=0.05),
                        sleep=sleep)
    assert receiver.requests == 4 and len(receiver.accepted) == 1
    assert sleeps == [0.05, 0.1, 0.2]
    assert statuses(session, "webhook_status") == ["sent:4"]


def test_webhook_gives_up_after_the_last_attempt_and_audits_it(engine, session, users):
    notify(session, users["rep1"])
    with WebhookReceiver(SECRET, fail_first=None) as receiver:
        report = deliver_pending(engine, NotifySettings(
            webhook_url=receiver.url, webhook_secret=SECRET, max_attempts=3,
            backoff_seconds=0.01))
        later = deliver_pending(engine, NotifySettings(webhook_url=receiver.url,
                                                       webhook_secret=SECRET))
    assert receiver.requests == 3 and receiver.accepted == []
    assert statuses(session, "webhook_status") == ["failed:3"]
    assert report.counts["webhook"] == Counter(failed=1) and not later.counts["webhook"]
    [entry] = session.scalars(select(AuditEntry)).all()
    assert entry.action == "notification.delivery_failed"
    assert entry.details == {"channel": "webhook", "attempts": 3, "error": "HTTP 503"}


def test_a_client_error_is_not_retried(engine, session, users):
    notify(session, users["rep1"])
    with WebhookReceiver(SECRET, fail_first=None, fail_status=410) as receiver:
        deliver_pending(engine, NotifySettings(webhook_url=receiver.url, webhook_secret=SECRET,
                                               backoff_seconds=0.01))
    assert receiver.requests == 1
    assert statuses(session, "webhook_status") == ["failed:1"]


def test_an_abandoned_claim_is_delivered_after_its_lease(engine, session, users):
    note = notify(session, users["rep1"])
    note.webhook_status = "claimed:1700000000:deadbeef"     # a worker that died in 2023
    fresh = notify(session, users["rep1"], subject="second")
    fresh.webhook_status = "claimed:9999999999:cafebabe"    # a live claim: not ours to take
    session.commit()
    with WebhookReceiver(SECRET) as receiver:
        deliver_pending(engine, NotifySettings(webhook_url=receiver.url, webhook_secret=SECRET))
    assert [r.document["id"] for r in receiver.accepted] == [note.id]
    assert statuses(session, "webhook_status") == ["sent:1", "claimed:9999999999:cafebabe"]


def test_settings_are_checked_whole(monkeypatch):
    monkeypatch.setenv("KAMFLOW_WEBHOOK_URL", "ftp://example.cn/hook")
    monkeypatch.setenv("KAMFLOW_SMTP_HOST", "mail.example.cn")
    monkeypatch.setenv("KAMFLOW_SMTP_SECURITY", "tls13")
    with pytest.raises(InvalidInput) as caught:
        NotifySettings.load()
    text = str(caught.value)
    for name in ("KAMFLOW_SMTP_SECURITY", "KAMFLOW_SMTP_FROM", "KAMFLOW_WEBHOOK_SECRET",
                 "KAMFLOW_WEBHOOK_URL"):
        assert name in text


def test_settings_come_from_the_instance_config(engine, tmp_path):
    (tmp_path / "instance" / "config.py").write_text(
        "SMTP_HOST = 'mail.example.cn'\nSMTP_PORT = 2525\nSMTP_FROM = 'k@example.cn'\n")
    loaded = NotifySettings.load()
    assert (loaded.smtp_host, loaded.smtp_port, loaded.email_enabled) == (
        "mail.example.cn", 2525, True)


def test_two_sending_processes_deliver_each_notification_once(engine, session, users):
    notes = [notify(session, users["rep1" if i % 2 else "admin"], subject=f"task {i}")
             for i in range(16)]
    with SmtpSink() as sink, WebhookReceiver(SECRET, hold_until_concurrent=2) as receiver:
        env = dict(os.environ, KAMFLOW_SMTP_HOST="127.0.0.1", KAMFLOW_SMTP_PORT=str(sink.port),
                   KAMFLOW_SMTP_FROM="kamflow@x.cn", KAMFLOW_WEBHOOK_URL=receiver.url,
                   KAMFLOW_WEBHOOK_SECRET=SECRET, KAMFLOW_NOTIFY_BATCH_SIZE="2",
                   KAMFLOW_NOTIFY_TIMEOUT_SECONDS="30")
        senders = [subprocess.Popen(kamflow("notify", "send"), cwd=ROOT, env=env, text=True,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                   for _ in range(2)]
        outputs = [p.communicate(timeout=60) for p in senders]
    assert [p.returncode for p in senders] == [0, 0], outputs
    # Both took part: the receiver held the first post until the other sender's came in.
    hooks_by = [int(m.group(1)) if (m := re.search(r"webhook: (\d+) sent", out)) else 0
                for out, _ in outputs]
    assert sum(hooks_by) == 16 and min(hooks_by) > 0, outputs
    delivered = Counter(r.document["id"] for r in receiver.accepted)
    assert delivered == Counter({n.id: 1 for n in notes})
    mailed = Counter(int(m["X-Kamflow-Notification"]) for m in sink.messages)
    assert mailed == Counter({n.id: 1 for n in notes})
    assert set(statuses(session)) == {"sent:1"} == set(statuses(session, "webhook_status"))
    assert all(r.signature_ok for r in receiver.accepted)


def test_a_claim_takes_at_most_a_batch(engine, session, users):
    from engine.notify.claims import claim_batch

    for i in range(7):
        notify(session, users["rep1"], subject=f"task {i}")
    claimed = [claim_batch(engine, "webhook", 3)[1] for _ in range(4)]
    assert claimed == [[1, 2, 3], [4, 5, 6], [7], []]
