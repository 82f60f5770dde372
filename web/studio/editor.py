"""The YAML editor of one definition: it saves a draft version checked like ``pack import``,
with each problem shown at its line; the published version is never touched. The latest
version's lint warnings (``engine.definitions.lint``) are shown at their lines too, apart
from the problems: a warning never stops a save."""
from __future__ import annotations

from dataclasses import dataclass

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import Session

from engine.db import transaction
from engine.definitions import drafts, store
from engine.definitions.lint import (MESSAGES, LintWarning, lint_data, lint_documents,
                                     reads_data)
from engine.definitions.source import MAX_FILE_BYTES
from engine.errors import InvalidInput
from web.database import get_engine
from web.studio import bp, flash_saved
from web.studio.definition import _load
from web.studio.home import KIND_LABELS


def _editor_text(session, definition):
    latest = store.latest_version(session, definition)
    return latest.source, latest.source_format, latest


@dataclass(frozen=True)
class ShownWarning:
    """A lint warning as the page shows it: in the reader's language."""

    line: int | None
    location: str
    path: str | None
    code: str
    message: str


def _shown(warning: LintWarning) -> ShownWarning:
    # The engine's English text is the message id; the reader's language comes from the
    # translations (its parameters are ids and numbers, inserted as text).
    message = _(MESSAGES[warning.code], **dict(warning.params))
    return ShownWarning(warning.line, warning.location(), warning.path, warning.code, message)


def lint_version(session, definition, version, with_data: bool = False) -> list[ShownWarning]:
    """The warnings about ``version`` of ``definition``, with the published definitions
    (forms in scope) as context; ``with_data``: only those from a look at the data (values
    a map misses), which takes seconds on a large database and is loaded after the page."""
    doc = store.version_document(definition, version)
    context = store.published_documents(session)
    found = (lint_data([doc], session, context) if with_data
             else lint_documents([doc], context=context))
    return [_shown(w) for w in found]


def _page(definition, text, file_format, latest, published, problems, warnings, here,
          data_url=None):
    return render_template("studio/edit.html", definition=definition, text=text,
                           file_format=file_format, latest=latest, published=published,
                           problems=problems, warnings=warnings, data_url=data_url,
                           kind_labels=KIND_LABELS, max_bytes=MAX_FILE_BYTES, here=here)


@bp.get("/<kind>/<def_id>/edit")
def edit(kind: str, def_id: str):
    with Session(get_engine()) as session:
        definition, _versions = _load(session, kind, def_id)
        text, file_format, latest = _editor_text(session, definition)
        published = store.published_version(session, definition)
        warnings = lint_version(session, definition, latest)
        here = drafts.file_name(kind, def_id, file_format)
        data_url = (url_for("studio.data_warnings", kind=kind, def_id=def_id, number=latest.number)
                    if reads_data(store.version_document(definition, latest)) else None)
        return _page(definition, text, file_format, latest, published, [], warnings, here,
                     data_url)


@bp.get("/<kind>/<def_id>/lint/<int:number>")
def data_warnings(kind: str, def_id: str, number: int):
    """The warnings of version ``number`` that come from the data, as a fragment of the
    editor (loaded after it: one GROUP BY per map score over the customers in scope)."""
    with Session(get_engine()) as session:
        definition, versions = _load(session, kind, def_id)
        version = next((v for v in versions if v.number == number), None)
        if version is None:
            abort(404)
        warnings = lint_version(session, definition, version, with_data=True)
        return render_template("studio/edit_lint_data.html", warnings=warnings,
                               version=version)


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
        return _page(definition, text, file_format, latest, published, list(exc.problems),
                     [], here), 400
    flash_saved(number, before)
    if _has_warnings(kind, def_id):
        # Back to the text, where each warning stands at its line.
        return redirect(url_for("studio.edit", kind=kind, def_id=def_id) + "#warnings", 303)
    return redirect(url_for("studio.show", kind=kind, def_id=def_id), 303)


def _has_warnings(kind: str, def_id: str) -> bool:
    """Whether the latest version has warnings from its text (those from the data show
    when the editor opens)."""
    with Session(get_engine()) as session:
        definition, _versions = _load(session, kind, def_id)
        return bool(lint_version(session, definition, store.latest_version(session, definition)))
