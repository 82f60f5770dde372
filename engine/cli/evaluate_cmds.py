"""``kamflow evaluate`` and ``kamflow scores export``."""
from __future__ import annotations

import click


@click.command()
def evaluate():
    """Evaluate a ruleset (not built yet)."""
    raise click.UsageError("kamflow evaluate is not built yet")


@click.group()
def scores():
    """Stored scores (not built yet)."""
