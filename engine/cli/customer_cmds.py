"""``kamflow customers duplicates|merge``."""
from __future__ import annotations

import click


@click.group()
def customers():
    """Customer clean-up (not built yet)."""
