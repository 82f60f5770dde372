"""The ``kamflow`` command line: engine commands; ``web.cli`` adds the serving ones."""
from __future__ import annotations

import functools
import sys

import click

from sqlalchemy.exc import OperationalError

from engine.cli.trouble import (database_trouble, refuse_missing_file,
                                 refuse_uninitialized)
from engine.config import load_settings
from engine.db import make_engine
from engine.errors import Conflict, InvalidInput, NotFound

EXIT_INVALID = 1


class Context:
    """Settings and the database engine, created on first use."""

    def __init__(self):
        self._settings = None
        self._engine = None

    @property
    def settings(self):
        if self._settings is None:
            self._settings = load_settings()
        return self._settings

    @property
    def engine(self):
        """The engine on a database that ``kamflow init`` has set up, disposed when the
        command finishes; ``NotInitialized`` (creating no file) otherwise."""
        if self._engine is None:
            refuse_missing_file(self.settings.database_url)
            self._open()
            refuse_uninitialized(self._engine)
        return self._engine

    @property
    def setup_engine(self):
        """The engine for ``init`` and ``demo``, which create the database."""
        if self._engine is None:
            self._open()
        return self._engine

    def _open(self) -> None:
        self._engine = make_engine(self.settings.database_url,
                                   busy_timeout=self.settings.busy_timeout)
        command = click.get_current_context(silent=True)
        if command is not None:
            command.call_on_close(self._engine.dispose)


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
        except OperationalError as exc:
            message = database_trouble(exc)
            if message is None:
                raise
            click.echo(f"error: {message}", err=True)
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
