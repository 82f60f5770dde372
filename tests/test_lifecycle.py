"""Single definitions: drafts, publishing, rollback, immutability and the audit trail."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.db import transaction
from engine.definitions import lifecycle, store
from engine.definitions.published import published_spec
from engine.errors import InvalidInput, NotFound
from engine.models import AuditEntry
from engine.packs import export_pack, import_pack
from tests.packs_support import ROOT

RULES = (ROOT / "rules" / "value_potential.yaml").read_text()


def draft(engine, text, actor="dana"):
    with transaction(engine) as session:
        return lifecycle.save_draft(session, "ruleset", text, actor).number


def test_draft_is_stored_but_not_published(engine, session):
    import_pack(engine, ROOT)
    number = draft(engine, RULES.replace("window: {months: 12}", "window: {months: 3}"))
    assert number == 2
    spec = published_spec(session, "ruleset", "value_potential")
    assert spec.window_months == 12


def test_publish_then_rollback(engine, session):
    import_pack(engine, ROOT)
    number = draft(engine, RULES.replace("window: {months: 12}", "window: {months: 3}"))
    with transaction(engine) as s:
        lifecycle.publish_version(s, "ruleset", "value_potential", number, "erin")
    assert published_spec(session, "ruleset", "value_potential").window_months == 3
    session.rollback()
    with transaction(engine) as s:
        rolled = lifecycle.rollback(s, "ruleset", "value_potential", 1, "frank")
    assert rolled.number == 3 and rolled.note == "rollback to version 1"
    spec = published_spec(session, "ruleset", "value_potential")
    assert spec.window_months == 12 and spec.version_id == rolled.id
    definition = store.get_definition(session, "ruleset", "value_potential")
    assert [v.number for v in store.versions(session, definition)] == [1, 2, 3]
    trail = session.execute(select(AuditEntry.actor, AuditEntry.action, AuditEntry.details)
                            .where(AuditEntry.object_id == "value_potential")
                            .order_by(AuditEntry.id)).all()
    assert [(a, b) for a, b, _ in trail][-3:] == [
        ("erin", "definition.publish"), ("frank", "definition.version"),
        ("frank", "definition.publish")]
    assert trail[-2][2]["note"] == "rollback to version 1"
    assert trail[-1][2] == {"version": 3, "previous_version": 2}


def test_identical_draft_makes_no_new_version(engine):
    import_pack(engine, ROOT)
    assert draft(engine, "# same content, other comment\n" + RULES) == 1


def test_invalid_draft_is_refused_whole(engine, session):
    import_pack(engine, ROOT)
    broken = RULES.replace("{metric: profit, weight: 35", "{metric: proft, weight: 35")
    with pytest.raises(InvalidInput) as raised:
        draft(engine, broken)
    assert [str(p) for p in raised.value.problems] == [
        "rules/draft.yaml:29:18: ruleset value_potential: $.axes.value.items[0].metric: "
        "unknown metric 'proft' (did you mean 'profit'?)"]
    definition = store.get_definition(session, "ruleset", "value_potential")
    assert len(store.versions(session, definition)) == 1


def test_publishing_a_version_that_breaks_a_workflow_is_refused(engine, session):
    import_pack(engine, ROOT)
    renamed = RULES.replace("    dog:      {", "    lapdog:   {")
    with pytest.raises(InvalidInput) as raised:
        draft(engine, renamed)
    messages = [str(p) for p in raised.value.problems]
    assert messages == [
        "pharma_value_potential:workflows/quadrant_followup.yaml:7:3: workflow quadrant_followup: "
        "$.on_enter: segment 'lapdog' has no on_enter entry",
        "pharma_value_potential:workflows/quadrant_followup.yaml:10:8: workflow "
        "quadrant_followup: $.on_enter.dog: unknown segment 'dog' (did you mean 'lapdog'?)",
        "pharma_value_potential:workflows/quadrant_followup.yaml:13:26: workflow "
        "quadrant_followup: $.on_transition[0].to: unknown segment 'dog' (did you mean 'lapdog'?)",
        "pharma_value_potential:workflows/quadrant_followup.yaml:14:45: workflow "
        "quadrant_followup: $.on_transition[1].to[1]: unknown segment 'dog' "
        "(did you mean 'lapdog'?)"]
    definition = store.get_definition(session, "ruleset", "value_potential")
    assert len(store.versions(session, definition)) == 1


def test_unknown_version_and_definition(engine):
    import_pack(engine, ROOT)
    with transaction(engine) as s, pytest.raises(NotFound, match="no version"):
        lifecycle.publish_version(s, "ruleset", "value_potential", 9, "x")
    with transaction(engine) as s, pytest.raises(NotFound, match="did you mean 'value_potential'"):
        lifecycle.rollback(s, "ruleset", "value_potental", 1, "x")


def test_stored_versions_are_immutable(engine, session):
    import_pack(engine, ROOT)
    definition = store.get_definition(session, "ruleset", "value_potential")
    version = store.published_version(session, definition)
    version.note = "tampered"
    with pytest.raises(Exception, match="immutable"):
        session.commit()


def test_new_definition_belongs_to_the_local_pack_and_exports(engine, session, tmp_path):
    import_pack(engine, ROOT)
    form = (ROOT / "forms" / "hospital.yaml").read_text()
    clinic = form.replace("id: hospital", "id: clinic").replace("customer_type: hospital",
                                                                "customer_type: clinic")
    with transaction(engine) as s:
        version = lifecycle.save_draft(s, "form", clinic, "gina")
        lifecycle.publish_version(s, "form", "clinic", version.number, "gina")
    definition = store.get_definition(session, "form", "clinic")
    assert definition.pack_id == "local"
    assert published_spec(session, "form", "clinic").customer_type == "clinic"
    assert export_pack(engine, "local", tmp_path / "local.zip") == ["forms/clinic.yaml",
                                                                    "pack.yaml"]
    assert import_pack(engine, tmp_path / "local.zip").is_noop
