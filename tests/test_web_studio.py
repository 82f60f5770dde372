"""``/studio``: the definitions home, a definition's history and diffs, the YAML editor that
saves drafts (checked like ``pack import``), publish, rollback and the preview of a draft."""
from __future__ import annotations

import re
import threading

from sqlalchemy import func, select

from engine.db import transaction
from engine.definitions import store
from engine.jobs.worker import WorkerSettings, work
from engine.models import AuditEntry, Job
from web_support import app, make_app, post_form, sign_in, text  # noqa: F401  (fixtures)
from web_world import PASSWORD, RULESET, _world_snapshot, world  # noqa: F401  (fixtures)

RULESET_PAGE = f"/studio/ruleset/{RULESET}"


def _client(app, username: str = "admin"):
    client = app.test_client()
    assert sign_in(client, username, PASSWORD).status_code == 302
    return client


def _source(engine, kind: str = "ruleset", def_id: str = RULESET) -> str:
    with transaction(engine) as session:
        definition = store.get_definition(session, kind, def_id)
        return store.latest_version(session, definition).source


def _state(engine, kind: str = "ruleset", def_id: str = RULESET):
    """(published number, [version numbers]) of a definition."""
    with transaction(engine) as session:
        definition = store.get_definition(session, kind, def_id)
        published = store.published_version(session, definition)
        return (published.number if published else None,
                [v.number for v in store.versions(session, definition)])


def _heavier(source: str) -> str:
    """The ruleset with the weight of its first weighted item raised by 7."""
    match = re.search(r"weight: (\d+)", source)
    assert match, "the world's ruleset has weights"
    return source[:match.start(1)] + str(int(match.group(1)) + 7) + source[match.end(1):]


def _save(client, text_: str, kind: str = "ruleset", def_id: str = RULESET):
    return post_form(client, f"/studio/{kind}/{def_id}/edit", {"source": text_},
                     page=f"/studio/{kind}/{def_id}/edit")


def test_only_admins_enter_the_studio(app, world):
    assert _client(app, "admin").get("/studio/").status_code == 200
    for username in ("m1", "r1", "s1"):
        client = _client(app, username)
        assert client.get("/studio/").status_code == 403
        assert client.get(RULESET_PAGE).status_code == 403
        assert post_form(client, f"{RULESET_PAGE}/publish", {"number": "1"}).status_code == 403
    assert app.test_client().get("/studio/").status_code == 302


def test_the_home_lists_every_definition_with_pack_and_versions(app, world, engine):
    page = text(_client(app).get("/studio/"))
    with transaction(engine) as session:
        rows = session.execute(select(store.Definition.kind, store.Definition.def_id,
                                      store.Definition.pack_id)).all()
    assert rows
    for kind, def_id, pack_id in rows:
        assert f'href="/studio/{kind}/{def_id}"' in page
        assert pack_id in page
    assert "v1" in page and "init" in page          # published version and who loaded it


def test_an_admin_creates_a_definition_from_scratch_and_as_a_copy(app, world, engine):
    client = _client(app)
    for kind in ("form", "ruleset", "workflow"):
        response = post_form(client, "/studio/new",
                             {"kind": kind, "def_id": f"fresh_{kind}", "copy_of": ""},
                             page="/studio/")
        assert response.status_code == 303, text(response)
        assert response.headers["Location"].endswith(f"/studio/{kind}/fresh_{kind}/edit")
        assert _state(engine, kind, f"fresh_{kind}") == (None, [1])  # a draft, not published
    response = post_form(client, "/studio/new", {"kind": "ruleset", "def_id": "vp_copy",
                                                 "copy_of": f"ruleset:{RULESET}"}, page="/studio/")
    assert response.status_code == 303
    copied = _source(engine, "ruleset", "vp_copy")
    assert "id: vp_copy" in copied and f"id: {RULESET}\n" not in copied
    original = _source(engine)
    assert copied.count("#") == original.count("#")        # comments kept
    with transaction(engine) as session:
        assert store.get_definition(session, "ruleset", "vp_copy").pack_id == "local"
    home = text(client.get("/studio/"))
    assert 'href="/studio/ruleset/vp_copy"' in home and "local" in home


def test_a_new_definition_needs_a_fresh_valid_id(app, world, engine):
    client = _client(app)
    for bad in ("Bad-Id", RULESET, "1abc"):
        response = post_form(client, "/studio/new",
                             {"kind": "ruleset", "def_id": bad, "copy_of": ""}, page="/studio/")
        assert response.status_code == 400
        assert 'aria-invalid="true"' in text(response)
    response = post_form(client, "/studio/new", {"kind": "form", "def_id": "x_copy",
                                                 "copy_of": f"ruleset:{RULESET}"}, page="/studio/")
    assert response.status_code == 400
    assert "same kind" in text(response) or "同一类型" in text(response)
    assert _state(engine) == (1, [1])


def test_saving_a_draft_leaves_the_published_version_alone(app, world, engine):
    client = _client(app)
    page = text(client.get(f"{RULESET_PAGE}/edit"))
    original = _source(engine)
    assert '<textarea id="source" name="source"' in page
    # The text with its comments is in the editor (escaped as HTML).
    first_comment = next(line for line in original.splitlines() if "#" in line)
    assert first_comment.split("#", 1)[1].strip()[:10] in page
    response = _save(client, _heavier(original))
    assert response.status_code == 303
    assert _state(engine) == (1, [1, 2])
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "definition.version", AuditEntry.object_id == RULESET,
            AuditEntry.actor == "admin")) == 1
    show = text(client.get(RULESET_PAGE))
    assert 'class="published-mark"' in show and 'class="draft-badge"' in show
    assert re.search(r"weight of \w+ \d+ → \d+", show)          # the diff in words
    assert 'class="diff-added"' in show and 'class="diff-removed"' in show
    # The same text again stores nothing new.
    assert _save(client, _heavier(original)).status_code == 303
    assert _state(engine) == (1, [1, 2])


def test_invalid_text_is_refused_with_every_problem_at_its_line(app, world, engine):
    client = _client(app)
    original = _source(engine)
    broken = original.replace("metric:", "metrik:", 1)
    response = _save(client, broken)
    assert response.status_code == 400
    page = text(response)
    assert "Not saved" in page or "未保存" in page
    assert re.search(r"rules/value_potential\.yaml:\d+:\d+", page)
    assert 'class="has-problem"' in page
    assert "metrik" in page                                   # the text is kept for fixing
    assert _state(engine) == (1, [1])


def test_the_editor_refuses_another_id_and_hostile_yaml_without_a_500(app, world, engine):
    client = _client(app)
    original = _source(engine)
    other = original.replace(f"id: {RULESET}", "id: other_ruleset", 1)
    response = _save(client, other)
    assert response.status_code == 400 and "other_ruleset" in text(response)
    hostile = {
        "a tag": "kind: ruleset\nid: value_potential\ntitle: !!python/object:os.system x\n",
        "an alias bomb": "a: &a [1,2,3,4,5,6,7,8,9]\n" + "".join(
            f"{n}: &{n} [{', '.join(['*' + p] * 9)}]\n"
            for p, n in zip("abcdefg", "bcdefgh")),
        "a huge text": "kind: ruleset\n# " + "x" * 600_000 + "\n",
        "not a mapping": "- 1\n- 2\n",
        "broken syntax": "kind: [ruleset\n",
    }
    for name, source in hostile.items():
        response = _save(client, source)
        assert response.status_code == 400, name
        assert "rules/value_potential.yaml" in text(response), name
    assert "not allowed" in text(_save(client, hostile["a tag"]))
    assert "larger than the limit" in text(_save(client, hostile["a huge text"]))
    assert _state(engine) == (1, [1])


def test_hostile_text_in_a_definition_is_shown_as_text(app, world, engine):
    client = _client(app)
    hostile = '"><img src=x onerror=alert(1)> <script>alert(1)</script> {{7*7}}'
    response = post_form(client, "/studio/new", {"kind": "form", "def_id": "evil", "copy_of": ""},
                         page="/studio/")
    assert response.status_code == 303
    source = _source(engine, "form", "evil").replace("{zh: 新表单, en: New form}",
                                                      "'" + hostile.replace("'", "''") + "'")
    assert _save(client, source, "form", "evil").status_code == 303
    for path in ("/studio/", "/studio/form/evil", "/studio/form/evil/edit"):
        page = text(client.get(path))
        assert "<script>alert(1)" not in page and "<img src=x" not in page, path
        assert "&lt;script&gt;" in page or "&lt;img" in page, path
        assert "49" not in page.replace("{{7*7}}", "") or "{{7*7}}" in page, path
    assert "{{7*7}}" in text(client.get("/studio/form/evil"))


def test_publish_and_rollback_are_audited_and_follow_the_history(app, world, engine):
    client = _client(app)
    original = _source(engine)
    assert _save(client, _heavier(original)).status_code == 303
    response = post_form(client, f"{RULESET_PAGE}/publish", {"number": "2"}, page=RULESET_PAGE)
    assert response.status_code == 303
    assert _state(engine) == (2, [1, 2])
    page = text(client.get(RULESET_PAGE))
    assert "Roll back" in page or "回滚" in page
    response = post_form(client, f"{RULESET_PAGE}/rollback", {"number": "1"}, page=RULESET_PAGE)
    assert response.status_code == 303
    assert _state(engine) == (3, [1, 2, 3])
    with transaction(engine) as session:
        definition = store.get_definition(session, "ruleset", RULESET)
        v1, v3 = (store.get_version(session, definition, n) for n in (1, 3))
        assert v3.content_hash == v1.content_hash and v3.source == v1.source
        actions = session.execute(select(AuditEntry.action, AuditEntry.details).where(
            AuditEntry.object_id == RULESET, AuditEntry.actor == "admin",
            AuditEntry.action == "definition.publish").order_by(AuditEntry.id)).all()
    assert [d["version"] for _a, d in actions] == [2, 3]
    assert [d["previous_version"] for _a, d in actions] == [1, 2]
    assert "rollback to version 1" in text(client.get(RULESET_PAGE))


def test_a_draft_that_breaks_a_published_workflow_is_refused(app, world, engine):
    client = _client(app)
    original = _source(engine)
    assert re.search(r"^    star:", original, re.M), "the default pack's ruleset has a star"
    # Renaming a segment leaves the published workflow naming a segment that is gone.
    response = _save(client, re.sub(r"\bstar\b", "star_x", original))
    assert response.status_code == 400
    page = text(response)
    assert "workflows/quadrant_followup.yaml:7:" in page
    assert "segment &#39;star_x&#39; has no on_enter entry" in page
    # A problem in another file does not point at a line of the text being edited.
    assert 'href="#line-7"' not in page and 'class="has-problem"' not in page
    assert _state(engine) == (1, [1])


def test_publishing_a_version_that_no_longer_fits_is_refused(app, world, engine):
    """A version stored before the workflow changed (here: written directly) is checked
    again against the published set when it is published."""
    client = _client(app)
    original = _source(engine)
    renamed = re.sub(r"\bstar\b", "star_x", original)
    with transaction(engine) as session:
        definition = store.get_definition(session, "ruleset", RULESET)
        content = store.version_document(definition,
                                         store.latest_version(session, definition)).content
        segments = content["classification"]["segments"]
        content["classification"]["segments"] = {
            ("star_x" if k == "star" else k): v for k, v in segments.items()}
        store.add_version(session, definition, content, renamed, "yaml", "admin")
    response = post_form(client, f"{RULESET_PAGE}/publish", {"number": "2"}, page=RULESET_PAGE)
    assert response.status_code == 303
    assert _state(engine) == (1, [1, 2])
    page = text(client.get(RULESET_PAGE))
    assert "has no on_enter entry" in page


def test_a_version_that_does_not_exist_is_404(app, world):
    client = _client(app)
    assert client.get("/studio/ruleset/nope").status_code == 404
    assert client.get("/studio/widget/x").status_code == 404
    assert post_form(client, f"{RULESET_PAGE}/publish", {"number": "99"}).status_code == 404
    assert post_form(client, f"{RULESET_PAGE}/rollback", {"number": "99"}).status_code == 404
    assert post_form(client, f"{RULESET_PAGE}/publish", {"number": "x"}).status_code == 400


def test_posts_need_the_csrf_token(app, world, engine):
    client = _client(app)
    response = client.post(f"{RULESET_PAGE}/edit", data={"source": _heavier(_source(engine))})
    assert response.status_code == 400
    assert _state(engine) == (1, [1])


def test_a_draft_ruleset_is_previewed_against_the_published_one(app, world, engine):
    """One job previews the draft beside the published version; its page polls, then shows
    the counts of both (the rest of the preview: tests/test_studio_preview.py)."""
    client = _client(app)
    assert _save(client, _heavier(_source(engine))).status_code == 303
    assert "Preview" in text(client.get(RULESET_PAGE)) or "预览" in text(client.get(RULESET_PAGE))
    response = post_form(client, f"{RULESET_PAGE}/preview", {"number": "2"}, page=RULESET_PAGE)
    assert response.status_code == 303
    location = response.headers["Location"]
    assert "/studio/preview/" in location
    waiting = text(client.get(location))
    assert 'hx-trigger="every 1s"' in waiting
    with transaction(engine) as session:
        job = session.scalars(select(Job).order_by(Job.id.desc()).limit(1)).one()
        assert job.params == {"preview": "ruleset", "ruleset": RULESET, "version": 2}
    assert work(engine, threading.Event(), WorkerSettings(), once=True) >= 1
    page = text(client.get(location))
    assert 'hx-trigger="every 1s"' not in page
    assert re.search(r'<table class="segment-compare">.*<td>\d+</td>', page, re.S), page
    assert "明星客户" in page                                 # the segment's label (zh)
    assert _state(engine) == (1, [1, 2])                      # nothing published or stored
