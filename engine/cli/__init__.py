"""The ``kamflow`` command line: engine commands; ``web.cli`` adds the serving ones."""
from __future__ import annotations

import functools
import sys

import click

from engine.config import load_settings
from engine.db import make_engine
from engine.errors import Conflict, InvalidInput, NotFound

EXIT_INVALID = 1


class Context:
    """Settings and the database engine, created on first use."""

    def __init__(self):
        self.settings = load_settings()
        self._engine = None

    @property
    def engine(self):
        """The engine, disposed when the command finishes."""
        if self._engine is None:
            self._engine = make_engine(self.settings.database_url)
            command = click.get_current_context(silent=True)
            if command is not None:
                command.call_on_close(self._engine.dispose)
        return self._engine


pass_context = click.make_pass_decorator(Context, ensure=True)


def reports_errors(command):
    """Turn rejected input into the problem list on stderr and exit code 1."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except InvalidInput as exc:
            click.echo(str(exc), err=True)
        except (NotFound, Conflict) as exc:
            click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_INVALID)

    return wrapper


@click.group()
@click.version_option(package_name="kamflow")
def cli():
    """kamflow: customer classification for pharma, from definitions."""


def _register() -> None:
    from engine.cli import (customer_cmds, evaluate_cmds, import_cmds, pack_cmds,
                            scheduler_cmds, setup_cmds, workflow_cmds)

    cli.add_command(setup_cmds.init)
    cli.add_command(pack_cmds.pack)
    cli.add_command(import_cmds.import_)
    cli.add_command(customer_cmds.customers)
    cli.add_command(evaluate_cmds.evaluate)
    cli.add_command(evaluate_cmds.scores)
    cli.add_command(scheduler_cmds.scheduler)
    cli.add_command(scheduler_cmds.notify)
    cli.add_command(workflow_cmds.tasks)
    cli.add_command(workflow_cmds.override)


_register()


def main() -> None:
    cli(prog_name="kamflow")
