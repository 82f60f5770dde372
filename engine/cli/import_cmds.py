"""``kamflow import KIND FILE``."""
from __future__ import annotations

import click


@click.command("import")
def import_():
    """Import users, products, customers, orders, payments or visits (not built yet)."""
    raise click.UsageError("kamflow import is not built yet")
