"""``kamflow evaluate``, ``kamflow scores export`` and ``kamflow scores explain``."""
from __future__ import annotations

import datetime as dt
import functools
import json
import sys

import click
from sqlalchemy.orm import Session

from engine.cli import iso_date, pass_context, reports_errors
from engine.definitions.preview import preview_draft
from engine.definitions.preview_text import preview_lines
from engine.evaluation import evaluate as evaluate_ruleset
from engine.evaluation import explain
from engine.evaluation.export import stream_scores, write_csv, write_json
from engine.evaluation.results import RunResult
from engine.evaluation.stored import RulesetNotGiven, only_ruleset
from engine.evaluation.vectors import value_text
from engine.models import UNCLASSIFIED
from engine.text import aligned_table, counted
from engine.runs import evaluate_and_follow


def _names_a_ruleset(command):
    """A missing ruleset id that cannot be inferred is a usage error (exit code 2)."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except RulesetNotGiven as exc:
            raise click.UsageError(str(exc)) from None

    return wrapper


@click.command()
@click.argument("ruleset", required=False)
@click.option("--as-of", "as_of", callback=iso_date, metavar="YYYY-MM-DD",
              help="The date facts are read up to (default: today in the configured zone).")
@click.option("--dry-run", is_flag=True, help="Compute everything, store nothing.")
@click.option("--draft", is_flag=True,
              help="Preview the latest draft version against the published one on current "
                   "data (as the studio's preview); stores nothing.")
@pass_context
@reports_errors
@_names_a_ruleset
def evaluate(ctx, ruleset, as_of, dry_run, draft):
    """Score every customer in scope of RULESET and place it in a segment."""
    if ruleset is None:
        with Session(ctx.engine) as session:
            ruleset = only_ruleset(session)
    if draft:
        for line in preview_lines(preview_draft(ctx.engine, ruleset, as_of)):
            click.echo(line)
        return
    if dry_run:
        result, report = evaluate_ruleset(ctx.engine, ruleset, as_of=as_of, dry_run=True), None
    else:
        followed = evaluate_and_follow(ctx.engine, ruleset, as_of, trigger="cli")
        result, report = followed.result, followed.workflows
    for line in summary_lines(result):
        click.echo(line)
    if report is not None:
        click.echo(f"workflows: {counted(report.moved, 'customer')} moved, "
                   f"{counted(report.created, 'task')} created, {report.cancelled} cancelled")


def summary_lines(result: RunResult) -> list[str]:
    """What ``evaluate`` prints: the run, segment counts, migration matrix, warnings."""
    ruleset = result.ruleset
    stored = "dry run, nothing stored" if result.dry_run else f"stored as run {result.run_id}"
    lines = [f"ruleset {ruleset.spec.id} version {ruleset.version_number} as of "
             f"{result.as_of.isoformat()}: {counted(len(result.population), 'customer')} in scope, "
             f"{stored} ({result.timings.get('total', 0):.2f} s)", ""]
    computed, effective = result.segment_counts(), result.segment_counts(effective=True)
    rows = [[segment, str(count), str(effective.get(segment, 0))]
            for segment, count in computed.items()]
    lines += aligned_table(["segment", "customers", "effective"], rows)
    migration = result.migration
    source = (f"run {migration['previous_run']}" if migration["previous_run"] is not None
              else "no previous run")
    lines += ["", f"migration from {source} (rows: from, columns: to)"]
    lines += _matrix(list(computed), migration["matrix"])
    if result.warnings:
        lines += ["", "warnings:"] + [f"  - {w['message']}" for w in result.warnings]
    return lines


def _matrix(segments: list[str], matrix: dict) -> list[str]:
    order = segments + [UNCLASSIFIED]
    columns = [s for s in order if any(s in row for row in matrix.values())]
    rows = [[before] + [str(matrix[before].get(after, 0)) for after in columns]
            for before in order if before in matrix]
    return aligned_table(["from \\ to", *columns], rows)


@click.group()
def scores():
    """Stored scores: export them, or explain one customer's segment."""


@scores.command("export")
@click.option("--ruleset", "ruleset", help="Ruleset id (may be omitted when only one exists).")
@click.option("--run", "run_id", type=int, help="A stored run (default: the latest one).")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv",
              show_default=True)
@click.option("-o", "output", type=click.Path(dir_okay=False, writable=True),
              help="Write to FILE instead of standard output.")
@pass_context
@reports_errors
@_names_a_ruleset
def export(ctx, ruleset, run_id, fmt, output):
    """Every customer of a stored run: segments, axis scores, metrics and points."""
    write = write_csv if fmt == "csv" else write_json
    with stream_scores(ctx.engine, ruleset, run_id) as table:
        if output is None:
            write(table, sys.stdout)
            sys.stdout.flush()
            return
        with open(output, "w", encoding="utf-8", newline="") as stream:
            count = write(table, stream)
    click.echo(f"wrote {count} rows of run {table.run_id} to {output}", err=True)


@scores.command("explain")
@click.argument("customer")
@click.option("--ruleset", "ruleset", help="Ruleset id (may be omitted when only one exists).")
@click.option("--run", "run_id", type=int, help="A stored run (default: the latest one).")
@click.option("--json", "as_json", is_flag=True, help="Print the explanation as JSON.")
@pass_context
@reports_errors
@_names_a_ruleset
def explain_command(ctx, customer, ruleset, run_id, as_json):
    """Why CUSTOMER has its segment: values, points, weights and splits."""
    explanation = explain(ctx.engine, customer, ruleset, run_id)
    if as_json:
        click.echo(json.dumps(explanation.to_dict(), ensure_ascii=False, indent=2,
                              default=_json_default))
        return
    for line in explanation.lines():
        click.echo(line)


def _json_default(value):
    if isinstance(value, dt.date):
        return value.isoformat()
    return value_text(value)
