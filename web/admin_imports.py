"""``/admin/imports``: data uploads through the browser, for admins (SPEC §5.1, §6).

An admin picks a kind and a CSV or XLSX file (and, if detection guesses wrong, an encoding).
The file is stored under the instance folder (``engine.imports.uploads``) and checked by a
**dry run** that a worker runs as a job (SPEC §5.3): always a job, whatever the file's size,
because a dry run reads, parses and stages the whole file in SQL just as the import does, and
one path for every size keeps the web request short and the page the same. The dry run's page
polls until it ends, then shows new / changed / unchanged counts, or every row problem (paged,
downloadable as CSV). From a clean dry run the admin starts the import, another job, of the
same stored file; the file is deleted when its import is done (or its dry run rejected it).
The import history comes from the audit log.
"""
from __future__ import annotations

import io
from pathlib import Path

from flask import (Blueprint, Response, abort, current_app, redirect, render_template,
                   request, url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.exceptions import RequestEntityTooLarge

from engine import access
from engine.access import Viewer
from engine.db import transaction
from engine.imports import uploads
from engine.imports.encodings import ENCODINGS, label
from engine.imports.limits import size_text
from engine.jobs import queue
from engine.models import Job
from engine.spreadsheet import cell, lf_csv_writer
from web.accounts import role_required
from web.times import local_time
from web.database import get_engine
from web.errors import render_error

bp = Blueprint("admin_imports", __name__)
ADMINS = (access.ADMIN,)
HISTORY_PAGE = 20
PROBLEM_PAGE = 20
FINISHED = ("done", "failed")

KIND_LABELS = {"users": _l("Users"), "products": _l("Products"), "customers": _l("Customers"),
               "orders": _l("Orders"), "payments": _l("Payments"), "visits": _l("Visits")}


def _refusal(exc: uploads.UploadRefused) -> str:
    if exc.code == "unknown_kind":
        return _("Choose one of the kinds listed.")
    if exc.code == "unknown_encoding":
        return _("Choose one of the encodings listed.")
    if exc.code == "no_file":
        return _("Choose a file to upload.")
    if exc.code == "extension":
        return _("Upload a .csv or .xlsx file (this one ends in “%(ext)s”).",
                 ext=exc.values.get("ext") or _("no extension"))
    if exc.code == "empty":
        return _("The file is empty.")
    return _("The file is larger than %(limit)s; split it and upload the parts.",
             limit=size_text(exc.values.get("limit") or uploads.MAX_UPLOAD_BYTES))


def _folder() -> Path:
    configured = current_app.config.get("UPLOAD_FOLDER")
    return Path(configured) if configured else Path(current_app.instance_path) / "uploads"


def _limit() -> int:
    return min(uploads.MAX_UPLOAD_BYTES,
               current_app.config.get("MAX_CONTENT_LENGTH") or uploads.MAX_UPLOAD_BYTES)


def _page(name: str = "page") -> int:
    raw = request.args.get(name, "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 100_000 else 1


@bp.context_processor
def _helpers() -> dict:
    return {"local_time": local_time, "kind_labels": KIND_LABELS,
            "encodings": [(e, label(e)) for e in ENCODINGS], "encoding_label": label,
            "max_upload": size_text(_limit())}


def _index(errors: dict | None = None, values: dict | None = None, status: int = 200):
    page = _page()
    with Session(get_engine()) as session:
        rows, total = uploads.history(session, HISTORY_PAGE, (page - 1) * HISTORY_PAGE)
        recent = session.execute(
            select(Job.id, Job.status, Job.created_at, Job.created_by, Job.params)
            .where(Job.kind == "import").order_by(Job.id.desc()).limit(10)).all()
    recent = [r for r in recent if (r.params or {}).get("upload")]
    pages = max(1, -(-total // HISTORY_PAGE))
    return render_template("admin/imports.html", errors=errors or {}, values=values or {},
                           history=rows, total=total, page=page, pages=pages,
                           recent=recent), status


@bp.get("/admin/imports")
@role_required(*ADMINS)
def index():
    return _index()


@bp.post("/admin/imports")
@role_required(*ADMINS)
def upload():
    kind = request.form.get("kind", "")
    encoding = request.form.get("encoding", "") or None
    values = {"kind": kind, "encoding": encoding or ""}
    errors: dict[str, str] = {}
    if kind not in uploads.kinds():
        errors["kind"] = _refusal(uploads.UploadRefused("kind", "unknown_kind"))
    if encoding is not None and encoding not in ENCODINGS:
        errors["encoding"] = _refusal(uploads.UploadRefused("encoding", "unknown_encoding"))
    sent = request.files.get("file")
    if sent is None or not uploads.clean_name(sent.filename):
        errors["file"] = _refusal(uploads.UploadRefused("file", "no_file"))
    if errors:
        return _index(errors, values, 400)
    try:
        stored = uploads.store(_folder(), sent.stream, sent.filename, _limit())
    except uploads.UploadRefused as exc:
        return _index({exc.field: _refusal(exc)}, values, 400)
    user = current_user.username
    with transaction(get_engine()) as session:
        job = queue.enqueue(session, "import",
                            {"kind": kind, "path": str(stored.path), "upload": stored.path.name,
                             "file_name": stored.file_name, "size": stored.size,
                             "dry_run": True, "encoding": encoding, "actor": user}, user)
    return redirect(url_for("admin_imports.job", job_id=job.id), 303)


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error):
    """A request over ``MAX_CONTENT_LENGTH``: the form again, the message at the file field."""
    if not current_user.is_authenticated or not current_user.has_role(*ADMINS):
        return render_error(413)
    exc = uploads.UploadRefused("file", "too_large", limit=_limit())
    return _index({"file": _refusal(exc)}, {}, 413)


def _job(job_id: int) -> Job:
    """An import job started from this page (its creator's, and every admin's)."""
    with Session(get_engine()) as session:
        job = session.scalar(select(Job).where(Job.id == job_id, Job.kind == "import",
                                               access.jobs(Viewer.of(current_user))))
        if job is None or not (job.params or {}).get("upload"):
            abort(404)
        session.expunge(job)
        return job


def _follow_up(job: Job) -> Job | None:
    """The import started from a dry run, if any."""
    with Session(get_engine()) as session:
        found = session.scalars(select(Job).where(
            Job.kind == "import", Job.params["from_job"].as_integer() == job.id)
            .order_by(Job.id.desc()).limit(1)).first()
        if found is not None:
            session.expunge(found)
        return found


def _problems(job: Job) -> list[dict]:
    result = job.result or {}
    listed = []
    for problem in result.get("problems") or []:
        value, message = split_problem(problem.get("message") or "")
        listed.append({"row": problem.get("row"), "column": problem.get("column"),
                       "value": value, "message": message})
    return listed


def split_problem(message: str) -> tuple[str, str]:
    """A problem's message as (what the file holds, what would do): the importer words a bad
    cell as ``expected …, got …``."""
    if message.startswith("expected ") and ", got " in message:
        expected, found = message.split(", got ", 1)
        return found, expected
    return "", message


def _context(job: Job) -> dict:
    problems = _problems(job)
    page = _page("problems")
    pages = max(1, -(-len(problems) // PROBLEM_PAGE))
    page = min(page, pages)
    return {"job": job, "params": job.params or {}, "result": job.result or {},
            "finished": job.status in FINISHED, "problems": problems,
            "shown": problems[(page - 1) * PROBLEM_PAGE: page * PROBLEM_PAGE],
            "problem_page": page, "problem_pages": pages,
            "kept": uploads.is_upload(job.params.get("path"))
            and Path(job.params["path"]).exists(),
            "follow_up": _follow_up(job) if job.params.get("dry_run") else None}


@bp.get("/admin/imports/jobs/<int:job_id>")
@role_required(*ADMINS)
def job(job_id: int):
    return render_template("admin/imports_job.html", **_context(_job(job_id)))


@bp.get("/admin/imports/jobs/<int:job_id>/status")
@role_required(*ADMINS)
def status(job_id: int):
    return render_template("admin/imports_status.html", **_context(_job(job_id)))


@bp.get("/admin/imports/jobs/<int:job_id>/problems.csv")
@role_required(*ADMINS)
def problems_csv(job_id: int):
    job_ = _job(job_id)
    out = io.StringIO()
    writer = lf_csv_writer(out)
    writer.writerow(["row", "column", "value", "message"])
    for problem in _problems(job_):
        writer.writerow([cell(problem["row"]), cell(problem["column"]), cell(problem["value"]),
                         cell(problem["message"])])
    name = f"import-{job_.id}-problems.csv"
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _clean_dry_run(job_: Job) -> bool:
    result = job_.result or {}
    return (job_.status == "done" and bool(job_.params.get("dry_run"))
            and not result.get("rejected"))


@bp.post("/admin/imports/jobs/<int:job_id>/import")
@role_required(*ADMINS)
def start_import(job_id: int):
    """The import of a file whose dry run found no problem (once: again shows that one)."""
    dry = _job(job_id)
    earlier = _follow_up(dry)
    if earlier is not None:
        return redirect(url_for("admin_imports.job", job_id=earlier.id), 303)
    if not _clean_dry_run(dry) or not _context(dry)["kept"]:
        return render_template("admin/imports_job.html", refused=True, **_context(dry)), 409
    return _enqueue_from(dry, dry_run=False, encoding=dry.params.get("encoding"))


@bp.post("/admin/imports/jobs/<int:job_id>/recheck")
@role_required(*ADMINS)
def recheck(job_id: int):
    """The dry run again, reading the same file in another encoding."""
    dry = _job(job_id)
    encoding = request.form.get("encoding", "") or None
    if encoding is not None and encoding not in ENCODINGS:
        return render_template("admin/imports_job.html", encoding_error=_refusal(
            uploads.UploadRefused("encoding", "unknown_encoding")), **_context(dry)), 400
    if not _clean_dry_run(dry) or not _context(dry)["kept"] or _follow_up(dry) is not None:
        return render_template("admin/imports_job.html", refused=True, **_context(dry)), 409
    return _enqueue_from(dry, dry_run=True, encoding=encoding)


@bp.post("/admin/imports/jobs/<int:job_id>/discard")
@role_required(*ADMINS)
def discard(job_id: int):
    """Delete the stored file of a dry run that will not be imported."""
    dry = _job(job_id)
    if _follow_up(dry) is None or _follow_up(dry).status in FINISHED:
        uploads.discard(dry.params.get("path"))
    return redirect(url_for("admin_imports.index"), 303)


def _enqueue_from(dry: Job, dry_run: bool, encoding: str | None):
    user = current_user.username
    params = {key: dry.params.get(key) for key in ("kind", "path", "upload", "file_name",
                                                   "size")}
    params.update({"dry_run": dry_run, "encoding": encoding, "actor": user})
    if not dry_run:
        params["from_job"] = dry.id
    with transaction(get_engine()) as session:
        job_ = queue.enqueue(session, "import", params, user)
    return redirect(url_for("admin_imports.job", job_id=job_.id), 303)
