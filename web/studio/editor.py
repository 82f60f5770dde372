"""The YAML editor of one definition: it saves a draft version checked like ``pack import``,
with each problem shown at its line; the published version is never touched."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import Session

from engine.db import transaction
from engine.definitions import drafts, store
from engine.definitions.source import MAX_FILE_BYTES
from engine.errors import InvalidInput
from web.database import get_engine
from web.studio import bp
from web.studio.definition import _load
from web.studio.home import KIND_LABELS


def _editor_text(session, definition):
    latest = store.latest_version(session, definition)
    return latest.source, latest.source_format, latest


@bp.get("/<kind>/<def_id>/edit")
def edit(kind: str, def_id: str):
    with Session(get_engine()) as session:
        definition, _versions = _load(session, kind, def_id)
        text, file_format, latest = _editor_text(session, definition)
        published = store.published_version(session, definition)
        return render_template("studio/edit.html", definition=definition, text=text,
                               file_format=file_format, latest=latest, published=published,
                               problems=[], kind_labels=KIND_LABELS,
                               max_bytes=MAX_FILE_BYTES, here=None)


@bp.post("/<kind>/<def_id>/edit")
def save(kind: str, def_id: str):
    text = request.form.get("source", "").replace("\r\n", "\n")
    with Session(get_engine()) as session:
        definition, _versions = _load(session, kind, def_id)
        _text, file_format, latest = _editor_text(session, definition)
        published = store.published_version(session, definition)
        before = latest.number
    try:
        with transaction(get_engine()) as session:
            version = drafts.save_text(session, kind, def_id, text, current_user.username,
                                       file_format, definition.pack_id)
            number = version.number
    except InvalidInput as exc:
        here = drafts.file_name(kind, def_id, file_format)
        return render_template("studio/edit.html", definition=definition, text=text,
                               file_format=file_format, latest=latest, published=published,
                               problems=list(exc.problems), kind_labels=KIND_LABELS,
                               max_bytes=MAX_FILE_BYTES, here=here), 400
    if number == before:
        flash(_("Nothing changed: the text is the same as version %(n)d.", n=number), "info")
    else:
        flash(_("Draft saved as version %(n)d. The published version is unchanged.", n=number),
              "success")
    return redirect(url_for("studio.show", kind=kind, def_id=def_id), 303)


