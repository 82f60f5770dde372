"""``tasks list`` shows each title in its assignee's language, else in the configured default
locale (zh), unless ``--locale`` asks for one; the same in the table, JSON and CSV."""
from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from engine.cli.workflow_cmds import tasks
from engine.workflows import apply_run
from tests.workflow_support import add_customer, add_user, install, store_run, template, workflow

TITLE = {"en": "Visit {{ customer.name }}", "zh": "拜访{{ customer.name }}"}


@pytest.fixture
def titles(engine, session, tmp_path):
    """One visit for an English-speaking rep, one for a Chinese-speaking rep, one for nobody."""
    add_user(session, "anna", "rep", locale="en")
    add_user(session, "wang", "rep", locale="zh")
    session.commit()
    install(engine, tmp_path / "pack", workflow(on_enter={"a": ["visit"]},
                                                tasks={"visit": template(title=TITLE)}))
    for code, owner in (("C1", "anna"), ("C2", "wang"), ("C3", None)):
        add_customer(session, code, owner, name=f"协和{code}")
    session.commit()
    apply_run(engine, store_run(engine, {"C1": "a", "C2": "a", "C3": "a"}))


def listed(*args) -> dict[str, dict[str, str]]:
    """customer → title, per output format."""
    runner = CliRunner()
    out = {}
    as_json = runner.invoke(tasks, ["list", "--format", "json", *args], catch_exceptions=False)
    out["json"] = {r["customer_code"]: r["title"] for r in json.loads(as_json.output)}
    as_csv = runner.invoke(tasks, ["list", "--format", "csv", *args], catch_exceptions=False)
    rows = list(csv.DictReader(io.StringIO(as_csv.output)))
    out["csv"] = {r["customer_code"]: r["title"] for r in rows}
    return out


def test_each_assignee_reads_their_language_and_nobody_the_default(titles):
    expected = {"C1": "Visit 协和C1", "C2": "拜访协和C2", "C3": "拜访协和C3"}
    assert listed() == {"json": expected, "csv": expected}


def test_the_configured_default_locale(titles, monkeypatch):
    monkeypatch.setenv("KAMFLOW_DEFAULT_LOCALE", "en")
    expected = {"C1": "Visit 协和C1", "C2": "拜访协和C2", "C3": "Visit 协和C3"}
    assert listed() == {"json": expected, "csv": expected}


def test_a_locale_asked_for_wins(titles):
    expected = {code: f"Visit 协和{code}" for code in ("C1", "C2", "C3")}
    assert listed("--locale", "en") == {"json": expected, "csv": expected}
