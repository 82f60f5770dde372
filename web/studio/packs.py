"""Packs in the browser: the packs in the database with a download of each as a ``.zip``, and
the upload of a pack ``.zip``: checked and shown as the dry-run diff first (what ``kamflow pack
import --dry-run`` prints), imported only when the admin confirms. The same reading limits and
refusals as the CLI apply: the pack is read by the same code."""
from __future__ import annotations

import dataclasses
import io
from pathlib import Path

from flask import (abort, current_app, flash, redirect, render_template, request, send_file,
                   url_for)
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import Session

from engine import packs
from engine.definitions.source import MAX_TOTAL_BYTES
from engine.errors import InvalidInput, NotFound
from engine.imports import uploads
from web.database import get_engine
from web.studio import bp
from web.studio.home import KIND_LABELS

STATUS_LABELS = {packs.ADDED: _l("added"), packs.CHANGED: _l("changed"),
                 packs.UNCHANGED: _l("unchanged"), packs.REMOVED: _l("removed")}


def _folder() -> Path:
    return Path(current_app.instance_path) / "pack_uploads"


def _stored(name: str | None) -> Path:
    """The stored upload a form names; 404 for anything ``uploads.store`` did not write."""
    path = _folder() / (name or "")
    if not name or "/" in name or not uploads.is_upload(path) or not path.exists():
        abort(404)
    return path


def _page(status: int = 200, **context):
    summaries = packs.list_packs(get_engine())
    return render_template("studio/packs.html", packs=summaries, kind_labels=KIND_LABELS,
                           status_labels=STATUS_LABELS, max_bytes=MAX_TOTAL_BYTES,
                           **context), status


def _refusal(exc: uploads.UploadRefused) -> str:
    if exc.code == "no_file":
        return _("Choose a pack file (.zip) to upload.")
    if exc.code == "extension":
        return _("Upload a pack as a .zip file (this one ends in “%(ext)s”).",
                 ext=exc.values.get("ext") or _("no extension"))
    if exc.code == "empty":
        return _("The file is empty.")
    return _("The file is larger than the limit of %(limit)d bytes.",
             limit=exc.values.get("limit") or MAX_TOTAL_BYTES)


@bp.get("/packs")
def packs_index():
    return _page()


@bp.get("/packs/<pack_id>.zip")
def export_pack(pack_id: str):
    with Session(get_engine()) as session:
        try:
            files = packs.pack_files(session, pack_id)
        except NotFound:
            abort(404)
    buffer = io.BytesIO()
    packs.write_zip(buffer, files)
    buffer.seek(0)
    return send_file(buffer, mimetype="application/zip", as_attachment=True,
                     download_name=f"{pack_id}.zip")


@bp.post("/packs/check")
def check_pack():
    sent = request.files.get("pack")
    try:
        upload = uploads.store(_folder(), sent.stream if sent else io.BytesIO(),
                               sent.filename if sent else None, MAX_TOTAL_BYTES, ("zip",))
    except uploads.UploadRefused as exc:
        return _page(400, upload_error=_refusal(exc))
    return _checked(upload.path, upload.file_name)


def _checked(path: Path, file_name: str):
    """The dry-run diff of a stored pack, or its problems (and the upload discarded)."""
    try:
        plan = packs.import_pack(get_engine(), path, actor=current_user.username, dry_run=True)
    except InvalidInput as exc:
        uploads.discard(path)
        return _page(400, problems=_named(exc.problems, path, file_name), file_name=file_name)
    return _page(plan=plan, upload=path.name, file_name=file_name)


def _named(problems, path: Path, file_name: str) -> list:
    """The problems with the stored file's random name replaced by the name the admin gave."""
    return [dataclasses.replace(p, file=p.file.replace(path.name, file_name)) if p.file else p
            for p in problems]


@bp.post("/packs/import")
def import_pack():
    path = _stored(request.form.get("upload"))
    file_name = uploads.clean_name(request.form.get("file_name")) or path.name
    if request.form.get("action") == "discard":
        uploads.discard(path)
        flash(_("The uploaded pack was discarded; nothing was imported."), "info")
        return redirect(url_for("studio.packs_index"), 303)
    try:
        plan = packs.import_pack(get_engine(), path, actor=current_user.username)
    except InvalidInput as exc:          # the database changed since the dry run
        uploads.discard(path)
        return _page(400, problems=_named(exc.problems, path, file_name), file_name=file_name)
    uploads.discard(path)
    if plan.is_noop:
        flash(_("Pack %(pack)s is unchanged: nothing was imported.", pack=plan.pack_id), "info")
    else:
        flash(_("Pack %(pack)s imported: %(added)d added, %(changed)d changed, %(removed)d "
                "removed. Changes take effect at the next run.", pack=plan.pack_id,
                added=plan.count(packs.ADDED), changed=plan.count(packs.CHANGED),
                removed=plan.count(packs.REMOVED)), "success")
    return redirect(url_for("studio.packs_index"), 303)
