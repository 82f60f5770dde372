"""``kamflow customers duplicates|merge``."""
from __future__ import annotations

import io

import click

from engine.cli.tables import format_table
from engine.cli import pass_context, reports_errors
from engine.customers.duplicates import DEFAULT_MIN_SCORE, DuplicatePair, find_duplicates
from engine.customers.merge import merge_customers
from engine.spreadsheet import lf_csv_writer, text_cell

COLUMNS = ("score", "code", "name", "other_code", "other_name", "type", "city", "reason")


@click.group()
def customers():
    """Customer clean-up: find likely duplicates and merge them."""


@customers.command()
@click.option("--min-score", type=click.FloatRange(0, 100), default=DEFAULT_MIN_SCORE,
              show_default=True, help="Lowest name similarity (0–100) to report.")
@click.option("--type", "customer_type", help="Only customers of this type.")
@click.option("--format", "output_format", type=click.Choice(["table", "csv"]),
              default="table", show_default=True)
@pass_context
def duplicates(ctx, min_score: float, customer_type: str | None, output_format: str):
    """List likely duplicates: same type and city, similar names or aliases."""
    pairs = find_duplicates(ctx.engine, min_score=min_score, customer_type=customer_type)
    if output_format == "csv":
        buffer = io.StringIO()
        writer = lf_csv_writer(buffer)
        writer.writerow(COLUMNS)
        writer.writerows(_csv_row(pair) for pair in pairs)
        click.echo(buffer.getvalue(), nl=False)
        return
    rows = [_row(pair) for pair in pairs]
    if not rows:
        click.echo("no likely duplicates found")
        return
    for line in format_table([list(COLUMNS), *rows]):
        click.echo(line)
    click.echo(f"{len(rows)} likely duplicate pair{'s' if len(rows) != 1 else ''}")


@customers.command()
@click.argument("keep")
@click.argument("drop")
@click.option("--actor", default="cli", show_default=True,
              help="Who merges, for the audit log.")
@click.option("--dry-run", is_flag=True, help="List what would move; change nothing.")
@pass_context
@reports_errors
def merge(ctx, keep: str, drop: str, actor: str, dry_run: bool):
    """Merge customer DROP into KEEP: facts, tasks and children move, DROP's name stays as
    alias, and DROP stays in stored runs marked as merged."""
    result = merge_customers(ctx.engine, keep, drop, actor=actor, dry_run=dry_run)
    for line in result.lines():
        click.echo(line)


def _row(pair: DuplicatePair) -> list[str]:
    return [f"{pair.score:g}", pair.code, pair.name, pair.other_code, pair.other_name,
            pair.type, pair.city or "", pair.reason]


def _csv_row(pair: DuplicatePair) -> list[str]:
    """The score as a number, the text cells neutralised for spreadsheets (SPEC §7)."""
    texts = (pair.code, pair.name, pair.other_code, pair.other_name, pair.type, pair.city,
             pair.reason)
    return [f"{pair.score:g}", *map(text_cell, texts)]
