"""``kamflow import KIND FILE [--dry-run] [--encoding …]``."""
from __future__ import annotations

from pathlib import Path

import click

from engine.cli import pass_context, reports_errors
from engine.imports import ENCODINGS, KINDS, import_file


@click.command("import")
@click.argument("kind", type=click.Choice(list(KINDS)))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Report what would change and import nothing.")
@click.option("--encoding", type=click.Choice(ENCODINGS, case_sensitive=False), default=None,
              help="Encoding of a CSV file (default: detected, UTF-8 with or without BOM "
                   "if all of the file is UTF-8, else GB18030). A file that is not valid in "
                   "the encoding given is refused.")
@pass_context
@reports_errors
def import_(ctx, kind: str, file: Path, dry_run: bool, encoding: str | None):
    """Import users, products, customers, orders, payments or visits from CSV or XLSX.

    Rows are upserted by their id; a column left out of the file keeps the stored values. A
    file with any invalid row imports nothing and every problem is listed (row, column,
    value, what was expected). The encoding detected for a CSV file is named.
    """
    report = import_file(ctx.engine, kind, file, dry_run=dry_run, encoding=encoding, actor="cli")
    read_as = f", read as {report.encoding}" if report.encoding else ""
    click.echo(f"{file.name} ({kind}{read_as}): {report.summary()}")
