"""Importing, exporting and listing packs: diffs, all-or-nothing, side by side, round trips."""
from __future__ import annotations

import shutil

import pytest
from sqlalchemy import select

from engine.definitions import store
from engine.errors import InvalidInput, NotFound
from engine.models import AuditEntry, Definition
from engine.packs import export_pack, import_pack, list_packs
from engine.setup import initialize
from tests.packs_support import PHARMACY_PACK, ROOT, copy_default_pack, stored_counts

DEFAULT_ID = "pharma_value_potential"


def statuses(plan):
    return {(e.kind, e.def_id): e.status for e in plan.entries}


def test_first_import_adds_every_definition(engine):
    plan = import_pack(engine, ROOT, actor="alice")
    assert plan.pack_status == "added"
    assert statuses(plan) == {("form", "hospital"): "added", ("ruleset", "value_potential"): "added",
                              ("workflow", "quadrant_followup"): "added"}


def test_reimport_is_a_noop(engine):
    import_pack(engine, ROOT)
    before = stored_counts(engine)
    plan = import_pack(engine, ROOT)
    assert plan.is_noop and set(statuses(plan).values()) == {"unchanged"}
    assert stored_counts(engine) == before


def test_dry_run_reports_and_stores_nothing(engine):
    plan = import_pack(engine, ROOT, dry_run=True)
    assert set(statuses(plan).values()) == {"added"}
    assert stored_counts(engine) == {"packs": 0, "definitions": 0, "definition_versions": 0,
                                     "audit_log": 0}


def test_changed_definition_gets_a_new_version_and_audit(engine, session, tmp_path):
    import_pack(engine, ROOT)
    pack = copy_default_pack(tmp_path / "p")
    rules = pack / "rules" / "value_potential.yaml"
    rules.write_text(rules.read_text().replace("window: {months: 12}", "window: {months: 6}"))
    dry = import_pack(engine, pack, dry_run=True)
    assert statuses(dry)[("ruleset", "value_potential")] == "changed"
    plan = import_pack(engine, pack, actor="bob")
    assert statuses(plan) == {("form", "hospital"): "unchanged",
                              ("ruleset", "value_potential"): "changed",
                              ("workflow", "quadrant_followup"): "unchanged"}
    definition = store.get_definition(session, "ruleset", "value_potential")
    published = store.published_version(session, definition)
    assert published.number == 2 and published.author == "bob"
    assert published.content["window"] == {"months": 6}
    assert store.get_version(session, definition, 1).content["window"] == {"months": 12}
    actions = session.scalars(select(AuditEntry.action).where(
        AuditEntry.object_id == "value_potential", AuditEntry.actor == "bob")).all()
    assert actions == ["definition.version", "definition.publish"]


def test_comment_only_change_is_unchanged(engine, tmp_path):
    import_pack(engine, ROOT)
    pack = copy_default_pack(tmp_path / "p")
    form = pack / "forms" / "hospital.yaml"
    form.write_text("# a new comment\n" + form.read_text())
    assert set(statuses(import_pack(engine, pack)).values()) == {"unchanged"}


def test_removed_definition_is_retired_with_history(engine, session, tmp_path):
    import_pack(engine, PHARMACY_PACK)
    pack = tmp_path / "pharmacy"
    shutil.copytree(PHARMACY_PACK, pack)
    (pack / "workflows" / "pharmacy_followup.json").unlink()
    plan = import_pack(engine, pack, actor="carol")
    assert statuses(plan)[("workflow", "pharmacy_followup")] == "removed"
    definition = store.get_definition(session, "workflow", "pharmacy_followup")
    assert definition.published_version_id is None
    assert len(store.versions(session, definition)) == 1


def test_second_pack_imports_beside_the_default(engine):
    initialize(engine, admin_password="pw")
    plan = import_pack(engine, PHARMACY_PACK)
    assert plan.pack_status == "added" and plan.count("added") == 3
    summaries = {s.pack_id: s.definitions for s in list_packs(engine)}
    assert summaries == {DEFAULT_ID: {"form": 1, "ruleset": 1, "workflow": 1},
                         "retail_pharmacy_abc": {"form": 1, "ruleset": 1, "workflow": 1}}


def test_id_owned_by_another_pack_is_refused(engine, tmp_path):
    import_pack(engine, ROOT)
    pack = tmp_path / "thief"
    shutil.copytree(PHARMACY_PACK, pack)
    shutil.copy(ROOT / "forms" / "hospital.yaml", pack / "forms" / "hospital.yaml")
    before = stored_counts(engine)
    with pytest.raises(InvalidInput) as raised:
        import_pack(engine, pack)
    assert [str(p) for p in raised.value.problems] == [
        "forms/hospital.yaml:2:5: form hospital: $.id: form id 'hospital' already belongs to "
        "pack 'pharma_value_potential'"]
    assert stored_counts(engine) == before


def test_removing_a_ruleset_another_pack_uses_is_refused(engine, tmp_path):
    import_pack(engine, ROOT)
    extra = tmp_path / "extra"
    (extra / "workflows").mkdir(parents=True)
    (extra / "pack.yaml").write_text("id: extra\nversion: '1'\ntitle: Extra\n")
    workflow = (ROOT / "workflows" / "quadrant_followup.yaml").read_text()
    (extra / "workflows" / "other.yaml").write_text(
        workflow.replace("id: quadrant_followup", "id: other_followup"))
    import_pack(engine, extra)
    shrunk = copy_default_pack(tmp_path / "shrunk")
    (shrunk / "workflows" / "quadrant_followup.yaml").unlink()
    (shrunk / "rules" / "value_potential.yaml").unlink()
    with pytest.raises(InvalidInput) as raised:
        import_pack(engine, shrunk)
    assert [str(p) for p in raised.value.problems] == [
        "extra:workflows/other_followup.yaml:4:10: workflow other_followup: $.ruleset: "
        "unknown ruleset 'value_potential'"]


@pytest.mark.parametrize("target", ["out.zip", "out"])
def test_export_then_import_changes_nothing(engine, tmp_path, target):
    initialize(engine, admin_password="pw")
    import_pack(engine, PHARMACY_PACK)
    before = stored_counts(engine)
    for pack_id in (DEFAULT_ID, "retail_pharmacy_abc"):
        destination = tmp_path / pack_id / target
        export_pack(engine, pack_id, destination)
        assert import_pack(engine, destination).is_noop
    assert stored_counts(engine) == before


def test_two_exports_are_byte_identical(engine, tmp_path):
    import_pack(engine, ROOT)
    export_pack(engine, DEFAULT_ID, tmp_path / "a.zip")
    export_pack(engine, DEFAULT_ID, tmp_path / "b.zip")
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()


def test_export_keeps_the_source_text(engine, tmp_path):
    import_pack(engine, ROOT)
    files = export_pack(engine, DEFAULT_ID, tmp_path / "out")
    assert files == ["forms/hospital.yaml", "pack.yaml", "rules/value_potential.yaml",
                     "workflows/quadrant_followup.yaml"]
    for name in files:
        assert (tmp_path / "out" / name).read_bytes() == (ROOT / name).read_bytes()


def test_export_of_unknown_pack(engine, tmp_path):
    import_pack(engine, ROOT)
    with pytest.raises(NotFound, match="no pack 'pharma_value_potentail' "
                                       r"\(did you mean 'pharma_value_potential'\?\)"):
        export_pack(engine, "pharma_value_potentail", tmp_path / "x.zip")


def test_export_refuses_a_non_empty_folder(engine, tmp_path):
    import_pack(engine, ROOT)
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "keep.txt").write_text("mine")
    with pytest.raises(InvalidInput, match="the folder is not empty"):
        export_pack(engine, DEFAULT_ID, tmp_path / "busy")
    assert (tmp_path / "busy" / "keep.txt").read_text() == "mine"


def test_zip_with_a_top_folder_imports(engine, tmp_path):
    import zipfile

    archive_path = tmp_path / "wrapped.zip"
    with zipfile.ZipFile(archive_path, "w") as archive:
        for path in sorted(PHARMACY_PACK.rglob("*")):
            if path.is_file():
                archive.write(path, "pharmacy/" + path.relative_to(PHARMACY_PACK).as_posix())
    assert import_pack(engine, archive_path).count("added") == 3
    with engine.connect() as connection:
        definitions = connection.execute(select(Definition.def_id)).scalars().all()
    assert sorted(definitions) == ["pharmacy", "pharmacy_abc", "pharmacy_followup"]
