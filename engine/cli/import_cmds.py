"""``kamflow import KIND FILE [--dry-run] [--encoding …] [--columns MAPPING.yaml]``."""
from __future__ import annotations

from pathlib import Path

import click

from engine.cli import pass_context, reports_errors
from engine.imports import ENCODINGS, KINDS, import_file
from engine.imports.headers import kind_columns

EXISTING_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def columns_help() -> str:
    """Each kind's columns (required ones starred) and the other header names they accept;
    ``\\b`` keeps click from rewrapping each kind's paragraph."""
    paragraphs = ["Columns of each kind (* required) and the other header names accepted for "
                  "them; a customers file adds its forms' fields, by key or label:"]
    for kind in KINDS.values():
        rows = kind_columns(kind)
        width = max(len(name) for name, _, _ in rows) + 1
        lines = [f"{name + ('*' if required else ''):<{width}}  {', '.join(names)}".rstrip()
                 for name, required, names in rows]
        paragraphs.append("\b\n" + f"{kind.name}:\n" + "\n".join(f"  {line}" for line in lines))
    return "\n\n".join(paragraphs)


@click.command("import", epilog=columns_help())
@click.argument("kind", type=click.Choice(list(KINDS)))
@click.argument("file", type=EXISTING_FILE)
@click.option("--dry-run", is_flag=True, help="Report what would change and import nothing.")
@click.option("--encoding", type=click.Choice(ENCODINGS, case_sensitive=False), default=None,
              help="Encoding of a CSV file (default: detected, UTF-8 with or without BOM "
                   "if all of the file is UTF-8, else GB18030). A file that is not valid in "
                   "the encoding given is refused.")
@click.option("--columns", "columns", type=EXISTING_FILE, default=None, metavar="MAPPING.yaml",
              help="A YAML mapping of column to the header that holds it in FILE "
                   "(order_id: 单据编号), for an export whose headers are not accepted below.")
@pass_context
@reports_errors
def import_(ctx, kind: str, file: Path, dry_run: bool, encoding: str | None,
            columns: Path | None):
    """Import users, products, customers, orders, payments or visits from CSV or XLSX.

    Rows are upserted by their id; a column left out of the file keeps the stored values. A
    file with any invalid row imports nothing and every problem is listed (row, column,
    value, what was expected). The encoding detected for a CSV file is named. Headers are
    matched after trimming and NFKC (full-width letters are normal ones), Latin letters in
    any case.
    """
    report = import_file(ctx.engine, kind, file, dry_run=dry_run, encoding=encoding,
                         actor="cli", columns=columns)
    read_as = f", read as {report.encoding}" if report.encoding else ""
    click.echo(f"{file.name} ({kind}{read_as}): {report.summary()}")
    for note in report.notes:
        click.echo(f"note: {note}")
