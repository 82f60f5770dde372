"""Each command imports only what it uses: ``kamflow --help`` loads no database layer, web
framework or data library, and a command loads its own modules only (issue: start-up)."""
from __future__ import annotations

import json
import subprocess
import sys

import click
import pytest

from engine.cli import COMMANDS, cli
from tests.scheduler_support import ROOT

HEAVY = ("sqlalchemy", "flask", "alembic", "numpy", "psycopg", "jsonschema", "rapidfuzz",
         "openpyxl", "jinja2", "transitions", "apscheduler", "opencc", "pandas")
PROBE = """
import json, sys
from web.cli import main
sys.argv = ["kamflow", *json.loads(sys.argv[1])]
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(m for m in {heavy} if m in sys.modules)), file=sys.stderr)
"""


def loaded_by(*args: str) -> set[str]:
    """The heavy packages a ``kamflow ARGS`` process has imported when it ends."""
    code = PROBE.format(heavy=repr(HEAVY))
    done = subprocess.run([sys.executable, "-c", code, json.dumps(args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


def test_help_loads_nothing_heavy():
    assert loaded_by("--help") == set()


@pytest.mark.parametrize("args, allowed", [
    (("evaluate", "--help"), {"sqlalchemy", "numpy", "jinja2", "transitions", "psycopg"}),
    (("tasks", "list", "--help"), {"sqlalchemy", "jinja2", "transitions"}),
    (("pack", "validate", "--help"), {"jsonschema", "jinja2", "sqlalchemy", "apscheduler"}),
])
def test_a_command_loads_only_what_it_uses(args, allowed):
    assert loaded_by(*args) <= allowed


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_the_listed_help_is_the_commands_own(name):
    placeholder = click.Command(name, help=COMMANDS[name][2])
    real = cli.get_command(click.Context(cli), name)
    assert placeholder.get_short_help_str(200) == real.get_short_help_str(200)
