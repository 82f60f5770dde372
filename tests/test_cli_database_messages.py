"""A command on a database that is not there, not set up or not reachable says so in one line
(exit 1) and creates nothing; so does a setting that is not a number."""
from __future__ import annotations

import socket

from click.testing import CliRunner

from web.cli import cli

NOT_SET_UP = ("error: no kamflow database at {where}: run `kamflow init` first (or point "
              "KAMFLOW_DATABASE_URL at the right database)\n")


def kamflow(*args, **env):
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def test_a_missing_sqlite_file_is_not_created(tmp_path):
    path = tmp_path / "nowhere" / "kamflow.db"
    result = kamflow("tasks", "list", KAMFLOW_DATABASE_URL=f"sqlite:///{path}")
    assert (result.exit_code, result.output) == (1, NOT_SET_UP.format(where=path))
    assert not path.parent.exists()


def test_a_database_without_the_schema(tmp_path):
    path = tmp_path / "empty.db"
    path.touch()
    url = f"sqlite:///{path}"
    result = kamflow("scores", "export", KAMFLOW_DATABASE_URL=url)
    assert (result.exit_code, result.output) == (1, NOT_SET_UP.format(where=url))
    assert path.stat().st_size == 0 and sorted(tmp_path.iterdir()) == [path]


def test_an_unreachable_server():
    with socket.socket() as probe:          # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = kamflow("tasks", "list",
                     KAMFLOW_DATABASE_URL=f"postgresql+psycopg://nobody@127.0.0.1:{port}/x")
    assert result.exit_code == 1
    [line] = result.output.splitlines()
    assert line.startswith("error: cannot reach the database (connection failed: ")
    assert line.endswith("); nothing was changed. Check KAMFLOW_DATABASE_URL and that the "
                         "server is running")


def test_a_setting_that_is_not_a_number(engine):
    result = kamflow("tasks", "list", KAMFLOW_BUSY_TIMEOUT_SECONDS="soon")
    assert result.exit_code == 1
    assert result.output == ("settings rejected, 1 problem:\n  settings: "
                             "KAMFLOW_BUSY_TIMEOUT_SECONDS: expected a number of seconds, "
                             "got 'soon'\n")


def test_a_file_that_is_not_a_database(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("not a database")
    url = f"sqlite:///{path}"
    result = kamflow("tasks", "list", KAMFLOW_DATABASE_URL=url)
    assert (result.exit_code, result.output) == (1, NOT_SET_UP.format(where=url))
    assert path.read_text() == "not a database"
