"""The ``kamflow`` entry point: the engine's commands plus those that serve the web app."""
from __future__ import annotations

import click

from engine.cli import cli, pass_context, reports_errors
from engine.demo.dataset import DEFAULT_CUSTOMERS, DEFAULT_SEED

host_option = click.option("--host", default="127.0.0.1", show_default=True)
port_option = click.option("--port", default=5000, show_default=True, type=int)


@cli.command()
@host_option
@port_option
def serve(host: str, port: int):
    """Serve the web app (development server; use a WSGI server in production)."""
    from web import create_app

    create_app().run(host=host, port=port)


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
@pass_context
@reports_errors
def demo(ctx, customers: int, seed: int, as_of, no_serve: bool, host: str, port: int):
    """Set up a database with realistic demo data, evaluate it and serve the web app.

    Initializes the database like `init`, generates Chinese hospitals, reps, products and two
    years of orders, payments and visits, imports them like `import`, evaluates the hospital
    rulesets, runs their workflows and prints a summary.
    """
    from engine.demo.orchestrate import DemoOptions, run_demo
    from engine.demo.summary import summary_lines
    from engine.evaluation import today

    day = as_of.date() if as_of else today(ctx.settings.timezone)
    result = run_demo(ctx.setup_engine, DemoOptions(day, customers, seed), progress=click.echo)
    database = ctx.setup_engine.url.render_as_string(hide_password=True)
    for line in summary_lines(result, database):
        click.echo(line)
    if not no_serve:
        serve.callback(host, port)


def main() -> None:
    cli(prog_name="kamflow")


if __name__ == "__main__":
    main()
