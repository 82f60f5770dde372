"""The studio's engine side: the definitions overview, new definitions (starter or copy),
drafts saved from text, and the text diff of two versions."""
from __future__ import annotations

import pytest

from engine.db import transaction
from engine.definitions import drafts, lifecycle, store
from engine.errors import InvalidInput
from web_world import RULESET, _world_snapshot, world  # noqa: F401  (fixtures)


def _source(session, kind="ruleset", def_id=RULESET):
    return store.latest_version(session, store.get_definition(session, kind, def_id)).source


def test_every_starter_is_valid_and_stays_a_draft(engine, world):
    for kind in ("form", "ruleset", "workflow"):
        with transaction(engine) as session:
            version = drafts.create(session, kind, f"new_{kind}", "admin")
            definition = store.get_definition(session, kind, f"new_{kind}")
            assert version.number == 1 and definition.published_version_id is None
            assert definition.pack_id == store.LOCAL_PACK
    with transaction(engine) as session:
        rows = {(r.kind, r.def_id): r for r in drafts.overview(session)}
    row = rows[("workflow", "new_workflow")]
    assert (row.published, row.latest, row.drafts, row.changed_by) == (None, 1, 1, "admin")
    assert row.pack_id == "local" and row.title == {"zh": "新流程", "en": "New workflow"}
    published = rows[("ruleset", RULESET)]
    assert published.published == 1 and published.drafts == 0


def test_a_copy_keeps_comments_and_takes_the_new_id(engine, world):
    with transaction(engine) as session:
        drafts.create(session, "ruleset", "vp_copy", "admin", copy_of=RULESET)
        original, copied = _source(session), _source(session, "ruleset", "vp_copy")
    assert copied.replace("id: vp_copy", f"id: {RULESET}", 1) == original


def test_new_ids_are_checked(engine, world):
    for bad in ("", "Upper", "9lives", "a-b", "x" * 101, RULESET):
        with pytest.raises(InvalidInput):
            with transaction(engine) as session:
                drafts.create(session, "ruleset", bad, "admin")


def test_a_draft_keeps_the_published_version_and_refuses_another_id(engine, world):
    with transaction(engine) as session:
        text = _source(session).replace("weight: 20", "weight: 21", 1)
        version = drafts.save_text(session, "ruleset", RULESET, text, "admin",
                                   pack_id="pharma_value_potential")
        definition = store.get_definition(session, "ruleset", RULESET)
        assert version.number == 2 and store.published_version(session, definition).number == 1
    with pytest.raises(InvalidInput) as refused:
        with transaction(engine) as session:
            drafts.save_text(session, "ruleset", RULESET, text.replace(
                f"id: {RULESET}", "id: elsewhere"), "admin")
    assert refused.value.problems[0].line == 2
    assert refused.value.problems[0].file == f"rules/{RULESET}.yaml"
    with transaction(engine) as session:
        assert store.find_definition(session, "ruleset", "elsewhere") is None
        lifecycle.publish_version(session, "ruleset", RULESET, 2, "admin")
        row = next(r for r in drafts.overview(session) if r.def_id == RULESET)
        assert (row.published, row.drafts, row.last_action) == (2, 0, "definition.publish")


def test_the_text_diff_numbers_both_sides():
    old = "a\nb\nc\nd\n"
    new = "a\nB\nc\nd\ne\n"
    lines = drafts.text_diff(old, new, context=1)
    kinds = [(line.kind, line.old, line.new, line.text) for line in lines]
    assert ("removed", 2, None, "b") in kinds and ("added", None, 2, "B") in kinds
    assert ("added", None, 5, "e") in kinds and kinds[0][0] == "hunk"
    assert drafts.text_diff(old, old) == []
