"""``kamflow token create|revoke|list`` (SPEC §5.2): API tokens. A new token's secret is
printed once; the database keeps only its hash."""
from __future__ import annotations

import click

from engine.cli import pass_context, reports_errors
from engine.cli.tables import format_table
from engine.cli.workflow_cmds import cli_actor
from engine.db import transaction


@click.group()
def token():
    """API tokens: create, revoke, list."""


@token.command("create")
@click.argument("username")
@click.option("--name", help="What the token is for (shown by 'token list').")
@pass_context
@reports_errors
def create(ctx, username: str, name: str | None):
    """Create an API token for USERNAME and print it (once: it cannot be shown again)."""
    from engine.tokens import API, create_token

    with transaction(ctx.engine) as session:
        made = create_token(session, username, API, name=name, actor=cli_actor())
    click.echo(made.secret)
    click.echo(f"token {made.id} of {username}: keep it now, it is not shown again; "
               f"use it as 'Authorization: Bearer <token>'", err=True)


@token.command("revoke")
@click.argument("token_id", type=int, metavar="ID")
@pass_context
@reports_errors
def revoke(ctx, token_id: int):
    """Revoke token ID: it opens nothing from now on."""
    from engine.tokens import revoke_token

    with transaction(ctx.engine) as session:
        revoke_token(session, token_id, actor=cli_actor())
    click.echo(f"token {token_id} revoked")


@token.command("list")
@click.argument("username", required=False)
@pass_context
@reports_errors
def list_command(ctx, username: str | None):
    """List tokens (never their secrets), of USERNAME when given."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from engine.errors import NotFound
    from engine.models import AccessToken, User

    with Session(ctx.engine) as session:
        query = (select(AccessToken.id, User.username, AccessToken.purpose, AccessToken.name,
                        AccessToken.created_at, AccessToken.last_used_at,
                        AccessToken.revoked_at)
                 .join(User, User.id == AccessToken.user_id).order_by(AccessToken.id))
        if username is not None:
            if session.scalar(select(User.id).where(User.username == username)) is None:
                raise NotFound("user", username)
            query = query.where(User.username == username)
        rows = session.execute(query).all()
    header = ("id", "user", "purpose", "name", "created", "last used", "revoked")
    for line in format_table([list(header), *([_cell(value) for value in row] for row in rows)]):
        click.echo(line)


def _cell(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)
