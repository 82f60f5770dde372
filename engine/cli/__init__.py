"""The ``kamflow`` command line: engine commands; ``web.cli`` adds the serving ones.

Each command's module is imported only when that command runs (``LazyGroup``), so a command
pays for what it uses and ``kamflow --help`` for almost nothing; nothing here imports the
database layer until a command asks for it.
"""
from __future__ import annotations

import datetime as dt
import functools
import importlib
import sys

import click

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
            from engine.config import load_settings

            self._settings = load_settings()
        return self._settings

    @property
    def engine(self):
        """The engine on a database that ``kamflow init`` has set up, disposed when the
        command finishes; ``NotInitialized`` (creating no file) otherwise."""
        if self._engine is None:
            from engine.cli.trouble import refuse_bare_sqlite, refuse_uninitialized

            refuse_bare_sqlite(self.settings.database_url)
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
        from engine.db import make_engine

        self._engine = make_engine(self.settings.database_url,
                                   busy_timeout=self.settings.busy_timeout)
        command = click.get_current_context(silent=True)
        if command is not None:
            command.call_on_close(self._engine.dispose)


pass_context = click.make_pass_decorator(Context, ensure=True)


def iso_date(_ctx, _param, value: str | None) -> dt.date | None:
    """A click callback: an option given as YYYY-MM-DD, as a date (None when not given)."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date as YYYY-MM-DD") from None


def reports_errors(command):
    """Turn rejected input into the problem list on stderr and exit code 1."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        # Imported when the command runs (it is about to use the database), not at start-up.
        from sqlalchemy.exc import OperationalError

        from engine.cli.trouble import database_trouble

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


class LazyGroup(click.Group):
    """A group whose commands are imported on first use; ``--help`` lists them from their
    recorded one-line help (a test checks it against the commands themselves)."""

    def __init__(self, *args, lazy: dict[str, tuple[str, str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy = lazy     # name → (module, attribute, one-line help)

    def list_commands(self, ctx) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx, name: str):
        if name in self.lazy and name not in self.commands:
            module, attribute, _ = self.lazy[name]
            self.add_command(getattr(importlib.import_module(module), attribute), name)
        return super().get_command(ctx, name)

    def format_commands(self, ctx, formatter) -> None:
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(map(len, names), default=0)
        rows = []
        for name in names:
            command = self.commands.get(name) or click.Command(name, help=self.lazy[name][2])
            rows.append((name, command.get_short_help_str(limit)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


COMMANDS = {
    "init": ("engine.cli.setup_cmds", "init",
             "Create or upgrade the database, load the default pack, create the first admin."),
    "pack": ("engine.cli.pack_cmds", "pack", "Definition packs: validate, import, export, list."),
    "import": ("engine.cli.import_cmds", "import_",
               "Import users, products, customers, orders, payments or visits from CSV or XLSX."),
    "customers": ("engine.cli.customer_cmds", "customers",
                  "Customer clean-up: find likely duplicates and merge them."),
    "evaluate": ("engine.cli.evaluate_cmds", "evaluate",
                 "Score every customer in scope of RULESET and place it in a segment."),
    "scores": ("engine.cli.evaluate_cmds", "scores",
               "Stored scores: export them, or explain one customer's segment."),
    "scheduler": ("engine.cli.scheduler_cmds", "scheduler",
                  "Run scheduled evaluations, daily maintenance and notification delivery."),
    "notify": ("engine.cli.scheduler_cmds", "notify", "Notification delivery (e-mail, webhook)."),
    "worker": ("engine.cli.scheduler_cmds", "worker",
               "Run jobs started from the web (evaluations, dry runs, imports), one at a "
               "time."),
    "tasks": ("engine.cli.workflow_cmds", "tasks",
              "Tasks created by workflows: list them, complete one."),
    "token": ("engine.cli.token_cmds", "token", "API tokens: create, revoke, list."),
    "override": ("engine.cli.workflow_cmds", "override",
                 "Pin a customer's segment (takes effect at the next run of its ruleset)."),
}


@click.group(cls=LazyGroup, lazy=COMMANDS)
@click.version_option(package_name="kamflow")
def cli():
    """kamflow: customer classification for pharma, from definitions."""


def main() -> None:
    cli(prog_name="kamflow")
