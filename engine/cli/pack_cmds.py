"""``kamflow pack validate|import|export|list``."""
from __future__ import annotations

from pathlib import Path

import click

from engine.cli import iso_date, pass_context, reports_errors
from engine.definitions.validate import validate_pack
from engine.errors import InvalidInput
from engine.packs import UNCHANGED, ImportPlan, export_pack, import_pack, list_packs
from engine.text import pick_text


@click.group()
def pack():
    """Definition packs: validate, import, export, list."""


@pack.command()
@click.argument("path", type=click.Path(path_type=Path))
@reports_errors
def validate(path: Path):
    """Check a pack folder or .zip without touching the database."""
    contents, problems = validate_pack(path)
    if problems:
        raise InvalidInput(problems, subject=f"pack {path}")
    kinds = [d.kind for d in contents.definitions]
    click.echo(f"pack {contents.pack_id} is valid: " + ", ".join(
        f"{kinds.count(k)} {k}{'s' if kinds.count(k) != 1 else ''}"
        for k in ("form", "ruleset", "workflow")))
    from engine.definitions.lint import lint_documents

    for warning in lint_documents(contents.definitions):   # probably not what was meant
        click.echo(f"  {warning}")


def print_plan(plan: ImportPlan, dry_run: bool) -> None:
    manifest = "" if plan.pack_status in (UNCHANGED, plan.status) else (
        f" (pack.yaml {plan.pack_status})")
    click.echo(f"pack {plan.pack_id}: {plan.status}{manifest}")
    for entry in plan.entries:
        click.echo(f"  {entry.status:<10} {entry.kind} {entry.def_id}")
        for change in entry.changes:
            click.echo(f"               {change}")
    summary = ", ".join(f"{plan.count(s)} {s}" for s in ("added", "changed", "unchanged",
                                                           "removed"))
    note = " (dry run: nothing imported)" if dry_run else ""
    click.echo(summary + note)


@pack.command("import")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show the diff and import nothing.")
@click.option("--preview", is_flag=True,
              help="Import nothing: show the diff, then preview each ruleset and workflow the "
                   "pack adds or changes on current data, as after the import.")
@click.option("--as-of", "as_of", callback=iso_date, metavar="YYYY-MM-DD",
              help="With --preview: the date facts are read up to (default: today).")
@pass_context
@reports_errors
def import_(ctx, path: Path, dry_run: bool, preview: bool, as_of):
    """Import a pack folder or .zip: all or nothing, new versions only for changes."""
    if preview:
        from engine.definitions.preview import preview_pack      # the evaluation, only here
        from engine.definitions.preview_text import preview_lines

        plan, records = preview_pack(ctx.engine, path, as_of)
        print_plan(plan, dry_run=True)
        for record in records:
            click.echo("")
            for line in preview_lines(record):
                click.echo(line)
        if not records:
            click.echo("no ruleset or workflow changes: nothing to preview")
        return
    plan = import_pack(ctx.engine, path, actor="cli", dry_run=dry_run)
    print_plan(plan, dry_run)


@pack.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--pack", "pack_id", required=True, help="The id of the pack to export.")
@pass_context
@reports_errors
def export(ctx, path: Path, pack_id: str):
    """Write a pack's published definitions to a folder or a .zip."""
    files = export_pack(ctx.engine, pack_id, path)
    click.echo(f"exported pack {pack_id} to {path} ({len(files)} files)")


@pack.command("list")
@pass_context
def list_(ctx):
    """The packs in the database with their live definitions."""
    for summary in list_packs(ctx.engine):
        counts = ", ".join(f"{n} {k}" for k, n in sorted(summary.definitions.items()))
        click.echo(f"{summary.pack_id}\t{summary.version}\t{pick_text(summary.title)}\t"
                   f"{counts or 'no live definitions'}")
