"""Limits checked when a definition is saved (SPEC §7): schedules as the scheduler reads them,
rulesets no larger than both databases can evaluate, nesting Python can read, short messages."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from engine.definitions.catalog import excerpt
from engine.definitions.ruleset_checks import MAX_METRICS
from engine.definitions.validate import validate_pack
from engine.errors import InvalidInput
from engine.evaluation import evaluate
from engine.setup import initialize
from tests.eval_support import D, Facts, by_code, install, ruleset
from tests.packs_support import copy_default_pack
from web.cli import cli


def many_metrics(count: int) -> dict:
    """``count`` averages, each with its own window: the widest query per fact table."""
    return {f"m{i}": {"aggregate": "avg", "of": "orders.amount",
                      "window": {"months": 1 + i % 24, "offset_months": i % 7}}
            for i in range(count)}


def test_a_ruleset_at_the_metric_limit_evaluates(engine, tmp_path):
    """The largest ruleset allowed runs on this backend (the suite runs on both)."""
    install(engine, tmp_path, ruleset(metrics=many_metrics(MAX_METRICS)))
    facts = Facts(engine)
    facts.customer("C1", type="clinic")
    facts.order("C1", D(2026, 3, 15), "10.00")
    facts.order("C1", D(2026, 3, 20), "20.00")
    result = evaluate(engine, "rs", as_of=D(2026, 3, 31), dry_run=True)
    assert len(result.metrics) == MAX_METRICS
    assert by_code(result, "m0") == {"C1": 15.0}          # one month, no offset
    assert by_code(result, "m7") == {"C1": 15.0}          # 8 months, no offset
    assert by_code(result, "m1") == {"C1": None}          # 2 months, offset by 1: no order


def test_a_ruleset_past_the_metric_limit_is_refused(engine, tmp_path):
    with pytest.raises(InvalidInput) as raised:
        install(engine, tmp_path, ruleset(metrics=many_metrics(MAX_METRICS + 1)))
    assert [p.message for p in raised.value.problems] == [
        f"a ruleset has at most {MAX_METRICS} metrics; this one has {MAX_METRICS + 1}"]


@pytest.mark.parametrize("schedule, message", [
    ("61 25 * * 9", "schedule '61 25 * * 9': '9' is not a weekday (0-7 or sun-sat)"),
    ("0 25 * * *", "schedule '0 25 * * *': Error validating expression '25': the last value "
                   "(25) is higher than the maximum value (23)"),
    ("0 2 31 2-1 *", "schedule '0 2 31 2-1 *': The minimum value in a range must not be "
                     "higher than the maximum"),
])
def test_schedules_are_read_by_the_scheduler_parser(tmp_path, schedule, message):
    pack = copy_default_pack(tmp_path / "pack")
    rules = pack / "rules" / "value_potential.yaml"
    rules.write_text(rules.read_text().replace('"0 2 1 1,4,7,10 *"', f'"{schedule}"'))
    _, problems = validate_pack(pack)
    assert [(p.path, p.message) for p in problems] == [("$.schedule", message)]


def test_excerpts_of_long_expressions():
    text = "a + " * 100 + "b"
    assert excerpt("short") == "'short'"
    assert excerpt(text) == f"{text[:60]!r}… (401 characters)"
    assert excerpt(text, 400) == f"…{text[-60:]!r} (401 characters)"
    assert excerpt(text, 200) == f"…{text[170:230]!r}… (401 characters)"


def test_an_over_long_expression_is_quoted_by_an_excerpt(tmp_path):
    pack = copy_default_pack(tmp_path / "pack")
    rules = pack / "rules" / "value_potential.yaml"
    long = "x" * 3000
    rules.write_text(rules.read_text().replace("of: orders.amount - orders.cost",
                                               f"of: {long}"))
    _, problems = validate_pack(pack)
    assert [p.message for p in problems] == [
        f"{excerpt(long)} is too long"]
    assert len(str(problems[0])) < 200


@pytest.fixture
def cli_run(engine):
    initialize(engine, admin_password="pw")
    runner = CliRunner()
    return lambda *args: runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.mark.parametrize("name, text, where", [
    ("deep.yaml", "kind: form\nid: deep\nfields: " + "[" * 1000 + "]" * 1000 + "\n",
     "forms/deep.yaml:3:73"),
    ("deep.json", '{"kind": "form", "id": "deep", "fields": ' + "[" * 1000 + "]" * 1000 + "}",
     "forms/deep.json:1:106"),
])
@pytest.mark.parametrize("command", ["validate", "import"])
def test_the_cli_refuses_deep_files_without_a_traceback(cli_run, tmp_path, name, text, where,
                                                        command):
    pack = copy_default_pack(tmp_path / "pack")
    (pack / "forms" / name).write_text(text)
    result = cli_run("pack", command, pack)
    assert result.exit_code == 1
    assert f"{where}: document nests deeper than 64 levels" in result.output
    assert "Traceback" not in result.output
