"""``/studio/packs``: packs in the browser. The download is the pack export; an upload is
checked first (the dry-run diff, or the problems the CLI gives, nothing changed) and imported
only on confirmation; the same refusals as ``kamflow pack import``."""
from __future__ import annotations

import html
import io
import re
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.db import transaction
from engine.definitions import store
from engine.models import AuditEntry, DefinitionVersion
from web_support import app, make_app, post_form, sign_in, text  # noqa: F401  (fixtures)
from web_world import PASSWORD, RULESET, _world_snapshot, world  # noqa: F401  (fixtures)

INVALID = Path(__file__).parent / "data" / "invalid"
PACK_ID = "pharma_value_potential"


def _admin(app):
    """The admin, reading the pages in English (the messages tested are the CLI's)."""
    client = app.test_client()
    assert sign_in(client, "admin", PASSWORD).status_code == 302
    post_form(client, "/language", {"locale": "en", "next": "/"})
    return client


def _download(client) -> bytes:
    response = client.get(f"/studio/packs/{PACK_ID}.zip")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert f"{PACK_ID}.zip" in response.headers["Content-Disposition"]
    return response.data


def _upload(client, data: bytes, name: str = "pack.zip"):
    return post_form(client, "/studio/packs/check",
                     {"pack": (io.BytesIO(data), name)}, page="/studio/packs")


def _stored_name(page: str) -> str:
    match = re.search(r'name="upload" value="([0-9a-f]{32}\.zip)"', page)
    assert match, "the check page carries the stored upload"
    return match.group(1)


def _with_heavier_weight(archive: bytes) -> bytes:
    """The pack with the first weight of its ruleset raised by 7, a comment kept."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(archive)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == f"rules/{RULESET}.yaml":
                body = data.decode()
                match = re.search(r"weight: (\d+)", body)
                body = body[:match.start(1)] + str(int(match.group(1)) + 7) + body[match.end(1):]
                data = body.encode()
            target.writestr(info, data)
    return out.getvalue()


def _versions(engine) -> int:
    with transaction(engine) as session:
        return session.scalar(select(func.count()).select_from(DefinitionVersion))


def _uploads_left(app) -> list[str]:
    folder = Path(app.instance_path) / "pack_uploads"
    return sorted(p.name for p in folder.glob("*.zip")) if folder.exists() else []


def test_the_page_lists_packs_and_downloads_the_export(app, world):
    client = _admin(app)
    page = text(client.get("/studio/packs"))
    assert PACK_ID in page and f"/studio/packs/{PACK_ID}.zip" in page
    with zipfile.ZipFile(io.BytesIO(_download(client))) as archive:
        names = archive.namelist()
    assert "pack.yaml" in names and f"rules/{RULESET}.yaml" in names
    assert client.get("/studio/packs/no_such_pack.zip").status_code == 404


def test_an_unchanged_pack_checks_as_unchanged_and_imports_nothing(app, world, engine):
    client = _admin(app)
    before = _versions(engine)
    page = text(_upload(client, _download(client)))
    assert "Nothing in this pack differs from the database." in page
    response = post_form(client, "/studio/packs/import",
                         {"upload": _stored_name(page), "file_name": "pack.zip",
                          "action": "discard"}, page="/studio/packs")
    assert response.status_code == 303
    assert _versions(engine) == before and _uploads_left(app) == []


def test_a_changed_pack_shows_its_diff_then_imports_on_confirmation(app, world, engine):
    client = _admin(app)
    with transaction(engine) as session:
        definition = store.get_definition(session, "ruleset", RULESET)
        published_before = store.published_version(session, definition).number
    before = _versions(engine)
    page = text(_upload(client, _with_heavier_weight(_download(client)), "新规则.zip"))
    assert "新规则.zip" in page and RULESET in page
    assert re.search(r"weight of \w+ \d+ → \d+", html.unescape(page)), "the change in words"
    assert _versions(engine) == before, "a check imports nothing"

    response = post_form(client, "/studio/packs/import",
                         {"upload": _stored_name(page), "file_name": "新规则.zip",
                          "action": "import"}, page="/studio/packs")
    assert response.status_code == 303
    assert "imported" in text(client.get("/studio/packs"))
    assert _versions(engine) == before + 1
    with transaction(engine) as session:
        definition = store.get_definition(session, "ruleset", RULESET)
        assert store.published_version(session, definition).number == published_before + 1
        assert session.scalar(select(func.count()).select_from(AuditEntry)
                              .where(AuditEntry.actor == "admin")) >= 1
    assert _uploads_left(app) == []


@pytest.mark.parametrize("case", sorted(p.name for p in INVALID.glob("*.zip")))
def test_a_broken_pack_is_refused_with_the_clis_messages(app, world, engine, case):
    client = _admin(app)
    before = _versions(engine)
    data = (INVALID / case).read_bytes()
    response = _upload(client, data, case)
    page = html.unescape(text(response))
    if len(data) > 16 * 1024 * 1024:
        assert response.status_code == 400 and "larger than the limit" in page
    else:
        assert response.status_code == 400
        expected = zipfile.ZipFile(INVALID / case).comment.decode().splitlines()
        for line in expected:
            assert line.removeprefix("expect: ") in page, line
        assert "nothing was changed" in page
    assert _versions(engine) == before and _uploads_left(app) == []


@pytest.mark.parametrize("name, data, message", [
    ("pack.yaml", b"id: x\n", "Upload a pack as a .zip file"),
    ("empty.zip", b"", "The file is empty."),
    ("not_a_zip.zip", b"this is text, not a zip archive", "not a folder or a .zip file"),
])
def test_files_that_are_not_packs_are_refused_at_the_field(app, world, engine, name, data, message):
    client = _admin(app)
    response = _upload(client, data, name)
    assert response.status_code == 400
    assert message in html.unescape(text(response))
    assert _uploads_left(app) == []


def test_no_file_and_unknown_uploads(app, world):
    client = _admin(app)
    response = post_form(client, "/studio/packs/check", {}, page="/studio/packs")
    assert response.status_code == 400 and "Choose a pack file" in text(response)
    for name in ("0" * 32 + ".zip", "../pack.zip", "x.zip", ""):
        response = post_form(client, "/studio/packs/import", {"upload": name, "action": "import"},
                             page="/studio/packs")
        assert response.status_code == 404, name


def test_hostile_file_names_and_changes_are_shown_as_text(app, world):
    client = _admin(app)
    page = text(_upload(client, _with_heavier_weight(_download(client)),
                        "<img src=x onerror=alert(1)>.zip"))
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;.zip" in page


def test_others_may_not_use_the_packs_page(app, world):
    for username in ("m1", "r1", "s1"):
        client = app.test_client()
        assert sign_in(client, username, PASSWORD).status_code == 302
        assert client.get("/studio/packs").status_code == 403
        assert client.get(f"/studio/packs/{PACK_ID}.zip").status_code == 403
