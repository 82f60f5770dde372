"""``kamflow user password``, the demo's sign-ins, and ``kamflow serve`` as a real server."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from engine.models import AuditEntry
from web.cli import cli
from web_support import PASSWORD, add_user, app, client, make_app, sign_in  # noqa: F401

NEW_PASSWORD = "from standard input 1"


def kamflow(*args, stdin: str | None = None):
    return CliRunner().invoke(cli, list(args), input=stdin)


def test_password_from_standard_input(engine, client, add_user, session):
    add_user("wangfang")
    result = kamflow("user", "password", "wangfang", stdin=NEW_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert result.output == "password of wangfang changed\n"
    assert sign_in(client, "wangfang").status_code == 401
    assert sign_in(client, "wangfang", NEW_PASSWORD).status_code == 302
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "user.password")).one()
    assert (entry.actor, entry.object_id) == ("kamflow user password", "wangfang")


def test_generated_password_is_printed_once(engine, client, add_user):
    add_user("wangfang")
    result = kamflow("user", "password", "wangfang", "--generate")
    assert result.exit_code == 0, result.output
    password = re.fullmatch(r"password of wangfang: (\S{16}) \(shown once\)\n",
                            result.output).group(1)
    assert sign_in(client, "wangfang", password).status_code == 302


def test_password_of_unknown_user(engine, add_user):
    add_user("wangfang")
    result = kamflow("user", "password", "wangfan", stdin=NEW_PASSWORD + "\n")
    assert result.exit_code == 1
    assert result.output == "error: no user 'wangfan' (did you mean 'wangfang'?)\n"


def test_short_password_changes_nothing(engine, client, add_user):
    add_user("wangfang")
    result = kamflow("user", "password", "wangfang", stdin="short\n")
    assert result.exit_code == 1
    assert result.output == ("password rejected, 1 problem:\n  password: a password needs at "
                             "least 10 characters, this one has 5\n")
    assert sign_in(client, "wangfang").status_code == 302


def test_empty_standard_input_is_a_usage_error(engine, add_user):
    add_user("wangfang")
    result = kamflow("user", "password", "wangfang", stdin="")
    assert result.exit_code == 2
    assert "no password on standard input (or use --generate)" in result.output


def test_demo_prints_sign_ins_that_work(engine, client):
    result = kamflow("demo", "--no-serve", "--customers", "12", "--as-of", "2025-06-15")
    assert result.exit_code == 0, result.output
    admin = re.search(r"sign in as admin with password (\S+) \(shown once\)", result.output)
    people = re.findall(r"sign in as (manager|rep) (\S+) \(.+\) with password (\S+) "
                        r"\(shown once\)", result.output)
    assert admin and [role for role, _, _ in people] == ["manager", "rep"]
    for role, username, password in [("admin", "admin", admin.group(1)), *people]:
        fresh = client.application.test_client()
        assert sign_in(fresh, username, password).status_code == 302, username
        page = fresh.get("/").get_data(as_text=True)
        assert {"admin": "系统管理员", "manager": "经理", "rep": "医药代表"}[role] in page


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str):
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


@pytest.mark.slow
def test_serve_runs_gunicorn_with_several_workers(engine):
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "web.cli", "serve", "--port", str(port), "--workers", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=os.environ.copy())
    try:
        deadline = time.monotonic() + 60     # a bound on hangs, for a loaded machine
        while True:
            try:
                status, headers, body = fetch(f"http://127.0.0.1:{port}/health")
                break
            except (urllib.error.URLError, ConnectionError):
                assert server.poll() is None and time.monotonic() < deadline, "did not start"
                time.sleep(0.2)
        assert status == 200 and '"status":"ok"' in body.replace(" ", "")
        assert headers["Server"].startswith("gunicorn")
        status, headers, body = fetch(f"http://127.0.0.1:{port}/login")
        assert status == 200 and "<h1>登录</h1>" in body
        assert "nonce-" in headers["Content-Security-Policy"]
        children = subprocess.run(["pgrep", "-a", "-P", str(server.pid)], capture_output=True,
                                  text=True).stdout.splitlines()
        job_workers = [line for line in children if line.endswith("web.cli worker")]
        assert len(children) == 3 and len(job_workers) == 1, children   # 2 web + 1 job worker
        job_worker_pid = int(job_workers[0].split()[0])
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=90)
    assert server.returncode == 0, output
    assert "Booting worker" in output and "Shutting down: Master" in output
    assert "waiting for jobs" in output                  # the job worker started...
    assert not os.path.exists(f"/proc/{job_worker_pid}")      # ...and stopped with the server
