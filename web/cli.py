"""The ``kamflow`` entry point: the engine's commands plus those of the web app (serve, demo,
user passwords)."""
from __future__ import annotations

import sys

import click

from engine.cli import cli, pass_context, reports_errors
from engine.demo.dataset import DEFAULT_CUSTOMERS, DEFAULT_SEED

host_option = click.option("--host", default="127.0.0.1", show_default=True,
                           help="Address to listen on.")
port_option = click.option("--port", default=5000, show_default=True, type=int)
workers_option = click.option("--workers", type=click.IntRange(1, 64),
                              help="gunicorn worker processes [default: CPUs, 2 to 4].")
dev_option = click.option("--dev", is_flag=True,
                          help="Flask's development server with the reloader (one process).")
no_worker_option = click.option(
    "--no-worker", is_flag=True,
    help="Start no job worker (`kamflow worker`) beside the web server: run one yourself, "
         "or jobs started from the web wait.")


def _serve(host: str, port: int, workers: int | None, dev: bool, no_worker: bool) -> None:
    from web.serving import DEFAULT_WORKERS, serve as run_server

    run_server(host, port, workers or DEFAULT_WORKERS, dev, job_worker=not no_worker)


@cli.command()
@host_option
@port_option
@workers_option
@dev_option
@no_worker_option
def serve(host: str, port: int, workers: int | None, dev: bool, no_worker: bool):
    """Serve the web app with gunicorn (several worker processes); --dev for Flask's reloader."""
    click.echo(f"kamflow: serving on http://{host}:{port}/ (Ctrl-C stops)")
    _serve(host, port, workers, dev, no_worker)


@cli.command()
@click.option("--customers", default=DEFAULT_CUSTOMERS, show_default=True,
              type=click.IntRange(1, 100_000), help="How many hospitals to generate.")
@click.option("--seed", default=DEFAULT_SEED, show_default=True, type=int,
              help="The same seed generates the same data.")
@click.option("--as-of", type=click.DateTime(["%Y-%m-%d"]),
              help="Generate facts up to the day before, and evaluate as of this date "
                   "[default: today in the configured time zone].")
@click.option("--no-serve", is_flag=True, help="Stop after the summary instead of serving.")
@host_option
@port_option
@workers_option
@dev_option
@no_worker_option
@pass_context
@reports_errors
def demo(ctx, customers: int, seed: int, as_of, no_serve: bool, host: str, port: int,
         workers: int | None, dev: bool, no_worker: bool):
    """Set up a database with realistic demo data, evaluate it and serve the web app.

    Initializes the database like `init`, generates Chinese hospitals, reps, products and two
    years of orders, payments and visits, imports them like `import`, evaluates the hospital
    rulesets, runs their workflows, gives a manager and a rep new random passwords and prints
    a summary with the sign-ins.
    """
    from engine.demo.orchestrate import DemoOptions, run_demo
    from engine.demo.summary import summary_lines
    from engine.evaluation import today
    from web.demo_accounts import demo_accounts

    day = as_of.date() if as_of else today(ctx.settings.timezone)
    result = run_demo(ctx.setup_engine, DemoOptions(day, customers, seed), progress=click.echo)
    database = ctx.setup_engine.url.render_as_string(hide_password=True)
    lines = summary_lines(result, database)
    # The sign-ins go with the admin's, before the closing timing line.
    lines[-1:-1] = [f"  sign in as {a.role} {a.username} ({a.name}) with password "
                    f"{a.password} (shown once)" for a in demo_accounts(ctx.setup_engine)]
    for line in lines:
        click.echo(line)
    if not no_serve:
        ctx.setup_engine.dispose()
        click.echo(f"  open http://{host}:{port}/ (Ctrl-C stops)")
        _serve(host, port, workers, dev, no_worker)


@cli.group()
def user():
    """User accounts: set a password."""


@user.command("password")
@click.argument("username")
@click.option("--generate", is_flag=True,
              help="Generate a random password and print it once (instead of reading one).")
@pass_context
@reports_errors
def user_password(ctx, username: str, generate: bool):
    """Set USERNAME's password: read from standard input (asked twice on a terminal), or
    generated with --generate. The user's other sessions end."""
    from engine.db import transaction
    from engine.users import generate_password, set_password

    password = generate_password() if generate else _read_password()
    with transaction(ctx.engine) as session:
        set_password(session, username, password, actor="kamflow user password")
    if generate:
        click.echo(f"password of {username}: {password} (shown once)")
    else:
        click.echo(f"password of {username} changed")


def _read_password() -> str:
    if sys.stdin.isatty():
        return click.prompt("New password", hide_input=True, confirmation_prompt=True)
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise click.UsageError("no password on standard input (or use --generate)")
    return line


def main() -> None:
    cli(prog_name="kamflow")


if __name__ == "__main__":
    main()
