"""``kamflow token create|revoke|list``: the secret is printed once and stored hashed; a
revoked token opens nothing; every change is audited."""
from __future__ import annotations

from sqlalchemy import select

from engine.db import transaction
from engine.models import AccessToken, AuditEntry
from engine.setup import initialize
from engine.tokens import digest, user_of_token
from engine.users import create_user

PASSWORD = "correct horse battery"


def _world(engine):
    initialize(engine, admin_password=PASSWORD)
    with transaction(engine) as session:
        create_user(session, "r1", "rep", PASSWORD, actor="test", name="R1")


def test_create_prints_the_secret_once_and_stores_its_hash(engine, session, run):
    _world(engine)
    result = run("token", "create", "r1", "--name", "crm sync")
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip()
    assert secret.startswith("kf_") and len(secret) > 30
    token = session.scalar(select(AccessToken))
    assert token.name == "crm sync" and token.purpose == "api"
    assert token.token_hash == digest(secret) and secret not in token.token_hash
    assert user_of_token(session, secret).username == "r1"
    listed = run("token", "list", "r1")
    assert listed.exit_code == 0
    assert "crm sync" in listed.output and "r1" in listed.output
    assert secret not in listed.output
    actions = session.scalars(select(AuditEntry.action)).all()
    assert "token.create" in actions


def test_revoke_closes_the_token(engine, session, run):
    _world(engine)
    secret = run("token", "create", "r1").stdout.strip()
    token_id = session.scalar(select(AccessToken.id))
    session.rollback()      # end the read so that the session sees the CLI's change
    result = run("token", "revoke", token_id)
    assert result.exit_code == 0 and f"token {token_id} revoked" in result.output
    session.rollback()
    assert user_of_token(session, secret) is None
    assert session.scalar(select(AccessToken.revoked_at)) is not None
    assert "token.revoke" in session.scalars(select(AuditEntry.action)).all()


def test_unknown_user_or_token_is_refused_with_exit_code_1(engine, run):
    _world(engine)
    created = run("token", "create", "nobody")
    assert created.exit_code == 1 and "no user 'nobody'" in created.output
    revoked = run("token", "revoke", "999")
    assert revoked.exit_code == 1 and "no token '999'" in revoked.output
    listed = run("token", "list", "nobody")
    assert listed.exit_code == 1
    assert run("token", "revoke", "abc").exit_code == 2


def test_list_without_a_user_lists_every_token(engine, run):
    _world(engine)
    run("token", "create", "r1", "--name", "one")
    run("token", "create", "admin", "--name", "two")
    output = run("token", "list").output
    assert "one" in output and "two" in output and "admin" in output
