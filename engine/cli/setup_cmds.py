"""``kamflow init``."""
from __future__ import annotations

import click

from engine.cli import pass_context, reports_errors
from engine.setup import initialize


@click.command()
@pass_context
@reports_errors
def init(ctx):
    """Create or upgrade the database, load the default pack, create the first admin."""
    result = initialize(ctx.setup_engine)
    click.echo(f"database ready: {ctx.setup_engine.url.render_as_string(hide_password=True)}")
    if result.pack_plan is not None:
        click.echo(f"loaded default pack {result.pack_plan.pack_id} "
                   f"({result.pack_plan.count('added')} definitions)")
    if result.generated_password:
        click.echo(f"created admin user 'admin' with password: {result.generated_password}")
        click.echo("(shown once; set KAMFLOW_ADMIN_PASSWORD to choose it)")
    elif result.admin_created:
        click.echo("created admin user 'admin' (password from KAMFLOW_ADMIN_PASSWORD)")
