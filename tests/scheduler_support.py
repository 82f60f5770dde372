"""Real local receivers and real ``kamflow`` processes for the notify and scheduler tests.

- :class:`SmtpSink`: an aiosmtpd SMTP server on localhost that keeps every message.
- :class:`WebhookReceiver`: an ``http.server`` on localhost that checks the signature, can fail
  the first N requests (or all of them) and keeps what it accepted.
- :func:`kamflow`: the argv that runs the ``kamflow`` command in a subprocess.
"""
from __future__ import annotations

import email
import email.policy
import hashlib
import hmac
import json
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parent.parent

def kamflow(*args: str) -> list[str]:
    """argv for ``kamflow ARGS`` run as a subprocess of the test (``python -m web.cli``)."""
    return [sys.executable, "-m", "web.cli", *args]


def run_kamflow(*args: str, env: dict | None = None,
                timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(kamflow(*args), cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpSink:
    """A real SMTP server on 127.0.0.1; ``messages`` are parsed ``EmailMessage`` objects."""

    def __init__(self):
        self.port = free_port()
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(email.message_from_bytes(envelope.content,
                                                      policy=email.policy.default))
        return "250 OK"

    def __enter__(self) -> SmtpSink:
        self._controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self._controller.stop()
        self._controller.loop.close()


@dataclass
class Received:
    body: bytes
    headers: dict[str, str]
    signature_ok: bool

    @property
    def document(self) -> dict:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    """A real HTTP server on 127.0.0.1 that answers ``fail_status`` to the first ``fail_first``
    requests (every request when ``fail_first`` is None) and 204 afterwards."""

    secret: str
    fail_first: int | None = 0
    fail_status: int = 503
    delay: float = 0.0
    # Hold requests until this many are in flight at once (two senders really overlap).
    hold_until_concurrent: int = 0
    accepted: list[Received] = field(default_factory=list)
    requests: int = 0

    def __post_init__(self):
        receiver = self
        self._lock = threading.Lock()
        self._in_flight = 0
        self._gate = threading.Event()
        if not self.hold_until_concurrent:
            self._gate.set()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver._lock:
                    receiver._in_flight += 1
                    if receiver._in_flight >= receiver.hold_until_concurrent:
                        receiver._gate.set()
                receiver._gate.wait(30)
                with receiver._lock:
                    receiver._in_flight -= 1
                    receiver.requests += 1
                    limit = receiver.fail_first
                    failing = limit is None or receiver.requests <= limit
                if receiver.delay:
                    threading.Event().wait(receiver.delay)
                if failing:
                    self.send_response(receiver.fail_status)
                    self.end_headers()
                    return
                expected = "sha256=" + hmac.new(receiver.secret.encode(), body,
                                                hashlib.sha256).hexdigest()
                given = self.headers.get("X-Kamflow-Signature", "")
                with receiver._lock:
                    receiver.accepted.append(Received(body, dict(self.headers),
                                                      hmac.compare_digest(expected, given)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hooks/kamflow"

    def __enter__(self) -> WebhookReceiver:
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


# --- data: a small company whose first evaluation creates tasks -------------------------------

def seed_company(engine, customers: int = 40) -> None:
    """Users, ``customers`` hospitals owned by two reps, and a year of orders for most."""
    import datetime as dt

    from sqlalchemy import insert, select

    from engine.db import transaction
    from engine.models import Customer, Order, Product, User

    plans = ("expanding", "stable", "shrinking")
    with transaction(engine) as session:
        boss = User(username="boss", name="经理", role="manager", team="east",
                    email="boss@example.cn")
        session.add(boss)
        session.flush()
        session.add_all([
            User(username="rep1", name="王芳", role="rep", seniority="senior", team="east",
                 manager_id=boss.id, email="rep1@example.cn"),
            User(username="rep2", name="李雷", role="rep", seniority="regular", team="east",
                 manager_id=boss.id, email="rep2@example.cn"),
            User(username="mkt", name="市场", role="staff", team="marketing", email="m@x.cn"),
            Product(code="P1", name="Drug", product_line="onc", is_new=True),
        ])
        session.flush()
        reps = dict(session.execute(select(User.username, User.id)).all())
        product = session.scalar(select(Product.id))
        session.execute(insert(Customer), [{
            "code": f"H{i:05d}", "name": f"医院{i}", "normalized_name": f"医院{i}",
            "type": "hospital", "region": "江苏", "city": "南京",
            "owner_id": reps["rep1" if i % 3 else "rep2"], "status": "active",
            "profile": {"beds": 100 + (i * 37) % 1900, "development_plan": plans[i % 3]},
        } for i in range(customers)])
        ids = dict(session.execute(select(Customer.code, Customer.id)).all())
        start = dt.date(2026, 1, 1)
        session.execute(insert(Order), [{
            "order_id": f"O{i}-{m}", "customer_id": ids[f"H{i:05d}"],
            "date": start - dt.timedelta(days=28 * m), "product_id": product,
            "quantity_milli": 1000, "amount_cents": 10_000 * (1 + (i * 7919) % 97),
            "cost_cents": 5_000,
        } for i in range(customers) if i % 5 for m in range(1 + i % 11)])


# --- scheduler processes ------------------------------------------------------------------------

def wait_for(predicate, timeout: float = 30.0, interval: float = 0.05, what: str = "condition"):
    """Poll ``predicate`` until it returns something truthy; that value."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class SchedulerProcess:
    """``kamflow scheduler`` in a subprocess, its log in a file."""

    def __init__(self, log_path: Path, env: dict, *args: str):
        import os

        self.log_path = log_path
        self._log = open(log_path, "w")
        self.process = subprocess.Popen(kamflow("scheduler", *args), cwd=ROOT,
                                        env={**os.environ, **env}, stdout=self._log,
                                        stderr=subprocess.STDOUT, text=True)
        self.pid = self.process.pid

    @property
    def log(self) -> str:
        return self.log_path.read_text()

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM: finish the tick at hand, then exit; the exit code."""
        self.process.terminate()
        try:
            return self.process.wait(timeout)
        finally:
            self._log.close()

    def wait(self, timeout: float = 60) -> int:
        """Wait for it to end by itself (a fail point kills it); the exit code."""
        try:
            return self.process.wait(timeout)
        finally:
            self._log.close()

    def kill(self) -> None:
        """SIGKILL, then reap it (a zombie would still look alive to the next scheduler)."""
        self.process.kill()
        self.process.wait()
        self._log.close()

    def __enter__(self) -> SchedulerProcess:
        return self

    def __exit__(self, *exc) -> None:
        if self.process.poll() is None:
            self.kill()


def backdate_versions(engine, when) -> None:
    """Pretend the published definitions were stored at ``when`` (versions are immutable to
    the ORM, so this goes around it)."""
    from sqlalchemy import update

    from engine.db import transaction
    from engine.models import DefinitionVersion

    with transaction(engine) as session:
        session.execute(update(DefinitionVersion.__table__).values(created_at=when))
