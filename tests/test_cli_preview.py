"""The preview from the command line: ``kamflow evaluate RULESET --draft`` and
``kamflow pack import PATH --preview`` print the studio's preview against current data and
store nothing."""
from __future__ import annotations

import copy

from sqlalchemy import func, select

from engine.db import transaction
from engine.definitions import store
from engine.models import DefinitionVersion, EvaluationRun, Task, WorkflowState
from tests.packs_support import copy_default_pack
from web_world import AS_OF, RULESET, _world_snapshot, world  # noqa: F401  (fixtures)

SPLIT = "split: {value: median, potential: median}"


def _stored(engine):
    with transaction(engine) as session:
        return (session.scalar(select(func.count()).select_from(EvaluationRun)),
                session.scalar(select(func.count()).select_from(DefinitionVersion)),
                sorted(session.execute(select(Task.id, Task.status)).all()),
                sorted(session.execute(select(WorkflowState.customer_id,
                                              WorkflowState.state)).all()))


def _draft_everyone_high(engine) -> int:
    with transaction(engine) as session:
        definition = store.get_definition(session, "ruleset", RULESET)
        content = copy.deepcopy(store.published_version(session, definition).content)
        content["classification"]["quadrant"]["split"] = {"value": 0, "potential": 0}
        return store.add_version(session, definition, content, "# draft\n", "yaml", "t").number


def test_evaluate_draft_without_a_draft_says_so(run, world, engine):
    before = _stored(engine)
    result = run("evaluate", RULESET, "--draft")
    assert result.exit_code != 0
    assert "has no draft" in result.output + result.stderr
    assert _stored(engine) == before


def test_evaluate_draft_prints_the_preview_and_stores_nothing(run, world, engine):
    number = _draft_everyone_high(engine)
    before = _stored(engine)
    result = run("evaluate", RULESET, "--draft", "--as-of", AS_OF.isoformat())
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith(f"preview of ruleset {RULESET} version {number} against published "
                          f"version 1, as of {AS_OF.isoformat()}: 2 customers in scope")
    assert "segment   published  draft  change" in out
    assert "migration published -> draft" in out
    assert "-> star: 1 customer(s)" in out and "C2 人民医院" in out
    assert "tasks of workflow quadrant_followup: 1 customer(s) would move" in out
    assert "axis value, split 0.00 (0)" in out
    assert "golden customers: 0 expectation(s) broken" in out
    assert _stored(engine) == before


def test_pack_import_preview_imports_nothing_and_previews_the_changes(run, world, engine,
                                                                     tmp_path):
    pack = copy_default_pack(tmp_path / "pack")
    rules = pack / "rules" / f"{RULESET}.yaml"
    assert SPLIT in rules.read_text()
    rules.write_text(rules.read_text().replace(SPLIT, "split: {value: 0, potential: 0}"))
    before = _stored(engine)
    result = run("pack", "import", pack, "--preview", "--as-of", AS_OF.isoformat())
    assert result.exit_code == 0, result.output
    out = result.output
    assert f"changed    ruleset {RULESET}" in out and "(dry run: nothing imported)" in out
    assert f"preview of ruleset {RULESET} (as in the pack) against published version 1" in out
    assert "C2 人民医院" in out and "tasks of workflow quadrant_followup" in out
    assert _stored(engine) == before


def test_pack_import_preview_of_an_unchanged_pack_has_nothing_to_preview(run, world, engine,
                                                                        tmp_path):
    pack = copy_default_pack(tmp_path / "pack")
    result = run("pack", "import", pack, "--preview")
    assert result.exit_code == 0, result.output
    assert "nothing to preview" in result.output


def test_pack_import_preview_of_an_invalid_pack_lists_problems_and_changes_nothing(
        run, world, engine, tmp_path):
    pack = copy_default_pack(tmp_path / "pack")
    rules = pack / "rules" / f"{RULESET}.yaml"
    rules.write_text(rules.read_text().replace(SPLIT, "split: {value: sideways, potential: 0}"))
    before = _stored(engine)
    result = run("pack", "import", pack, "--preview")
    assert result.exit_code == 1
    assert "sideways" in result.output + result.stderr
    assert "preview of" not in result.output
    assert _stored(engine) == before
