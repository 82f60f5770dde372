"""``kamflow tasks list|done`` and ``kamflow override set|clear`` (SPEC §5)."""
from __future__ import annotations

import datetime as dt
import getpass
import sys

import click

from engine.cli.tables import format_table
from engine.cli import pass_context, reports_errors
from engine.db import transaction
from engine.models import TASK_STATUSES
from engine.overrides import clear_override, local_today, set_override
from engine.tasks import LIST_FIELDS, complete_task
from engine.tasks.listing import select_tasks, stream_tasks, write_csv, write_json


def cli_actor() -> str:
    """Who acts from the command line, for the audit log and ``completed_by``."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _cell(value) -> str:
    """Export conventions: null is empty, booleans true/false, dates YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


@click.group()
def tasks():
    """Tasks created by workflows: list them, complete one."""


@tasks.command("list")
@click.option("--assignee", metavar="USERNAME", help="Only this user's tasks.")
@click.option("--status", type=click.Choice(TASK_STATUSES),
              help="Only tasks in this status (default: every status).")
@click.option("--overdue", is_flag=True,
              help="Only open or in-progress tasks due before today.")
@click.option("--format", "output_format", type=click.Choice(["table", "csv", "json"]),
              default="table", show_default=True)
@click.option("--locale", help="Language of the titles (default: each assignee's locale, else "
                               "KAMFLOW_DEFAULT_LOCALE, zh).")
@pass_context
@reports_errors
def list_command(ctx, assignee, status, overdue, output_format, locale):
    """List tasks with id, customer, workflow, template, segments, title, kind, assignee,
    status and due date."""
    languages = dict(locale=locale, default_locale=ctx.settings.default_locale)
    with ctx.engine.connect() as connection:
        listing = select_tasks(connection, assignee=assignee, status=status,
                               overdue_on=local_today() if overdue else None)
        if output_format == "csv":
            write_csv(connection, listing, sys.stdout, **languages)
        elif output_format == "json":
            write_json(stream_tasks(connection, listing, **languages), sys.stdout)
        else:
            rows = list(stream_tasks(connection, listing, **languages))
    if output_format != "table":
        sys.stdout.flush()
        return
    if not rows:
        click.echo("no tasks")
    else:
        for line in format_table([list(LIST_FIELDS), *([_cell(value) for value in row]
                                                       for row in rows)]):
            click.echo(line)


@tasks.command("done")
@click.argument("task_id", type=int)
@click.option("--note", help="What was done, kept with the task.")
@pass_context
@reports_errors
def done_command(ctx, task_id: int, note: str | None):
    """Complete task TASK_ID (a visit or call task also records the visit)."""
    with transaction(ctx.engine) as session:
        result = complete_task(session, task_id, cli_actor(), note=note)
        lines = [f"task {task_id} done"]
        if result.visit is not None:
            lines.append(f"visit {result.visit.visit_id} recorded on "
                         f"{result.visit.date.isoformat()}")
        if result.next_task is not None:
            lines.append(f"next occurrence: task {result.next_task.id} due "
                         f"{result.next_task.due_date.isoformat()}")
    click.echo("\n".join(lines))


@click.group()
def override():
    """Pin a customer's segment (takes effect at the next run of its ruleset)."""


@override.command("set")
@click.argument("customer")
@click.argument("segment")
@click.option("--ruleset", "ruleset_id", help="Ruleset id (needed when several are published).")
@click.option("--until", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Last day the override holds (YYYY-MM-DD).")
@click.option("--reason", required=True, help="Why, for the audit log.")
@pass_context
@reports_errors
def set_command(ctx, customer, segment, ruleset_id, until, reason):
    """Override CUSTOMER's segment with SEGMENT until a date."""
    with transaction(ctx.engine) as session:
        made = set_override(session, customer, segment, until.date(), reason, cli_actor(),
                            ruleset_id=ruleset_id)
        ruleset = made.ruleset_id
    click.echo(f"{customer} is {segment} in {ruleset} until {until.date().isoformat()} "
               "from the next run")


@override.command("clear")
@click.argument("customer")
@click.option("--ruleset", "ruleset_id", help="Ruleset id (needed when several are published).")
@pass_context
@reports_errors
def clear_command(ctx, customer, ruleset_id):
    """End CUSTOMER's override; the computed segment applies from the next run."""
    with transaction(ctx.engine) as session:
        cleared = clear_override(session, customer, cli_actor(), ruleset_id=ruleset_id)
        ruleset = cleared[0].ruleset_id
    click.echo(f"{customer}: override in {ruleset} cleared from the next run")
