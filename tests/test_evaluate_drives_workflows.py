"""``kamflow evaluate`` stores a run and drives the workflows; running it again duplicates
nothing (SPEC §4: a run compares with the previous one and drives the workflows)."""
from __future__ import annotations

import datetime as dt

from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.demo.dataset import IMPORT_ORDER, generate, write_files
from engine.imports import import_file
from engine.models import Task, WorkflowState
from engine.setup import initialize
from web.cli import cli

AS_OF = dt.date(2026, 10, 1)


def counts(engine) -> tuple[int, int]:
    with Session(engine) as session:
        return (session.scalar(select(func.count()).select_from(Task)),
                session.scalar(select(func.count()).select_from(WorkflowState)))


def test_evaluate_creates_tasks_once(engine, tmp_path):
    initialize(engine, admin_password="pw")
    paths = write_files(generate(40, seed=7, as_of=AS_OF), tmp_path / "csv")
    for kind in IMPORT_ORDER:
        import_file(engine, kind, paths[kind])
    runner = CliRunner()
    first = runner.invoke(cli, ["evaluate", "--as-of", AS_OF.isoformat()])
    assert first.exit_code == 0, first.output
    tasks, states = counts(engine)
    assert tasks > 0 and 30 < states <= 40
    assert f"workflows: {states} customers moved, {tasks} tasks created, 0 cancelled" \
        in first.output
    again = runner.invoke(cli, ["evaluate", "--as-of", AS_OF.isoformat()])
    assert again.exit_code == 0, again.output
    assert "workflows: 0 customers moved, 0 tasks created, 0 cancelled" in again.output
    assert counts(engine) == (tasks, states)


def test_dry_run_drives_nothing(engine, tmp_path):
    initialize(engine, admin_password="pw")
    paths = write_files(generate(10, seed=3, as_of=AS_OF), tmp_path / "csv")
    for kind in IMPORT_ORDER:
        import_file(engine, kind, paths[kind])
    result = CliRunner().invoke(cli, ["evaluate", "--as-of", AS_OF.isoformat(), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "workflows:" not in result.output
    assert counts(engine) == (0, 0)
