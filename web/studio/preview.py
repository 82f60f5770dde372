"""The preview of a draft ruleset or workflow: one job (``engine.definitions.preview``, run by
the worker as a ``dry_run`` job with ``preview`` set) whose result is all the page shows; the
page polls the job's progress, then shows counts, the migration matrix with the customers
who would move (paged), the tasks, the warnings, the axes' histograms and golden customers.
Nothing is stored but the job."""
from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import access
from engine.access import Viewer
from engine.db import transaction
from engine.jobs import queue
from engine.models import Job
from web.database import get_engine
from web.studio import bp
from web.studio.definition import _load, _pick
from web.studio.preview_view import PreviewView

FINISHED = ("done", "failed")
PAGE_SIZE = 25
# The steps the preview job reports (engine.definitions.preview), as the page says them.
STEPS = {"evaluating the draft (dry run)": _l("Evaluating the draft"),
         "evaluating the published version (dry run)": _l("Evaluating the published version"),
         "evaluating the published ruleset (dry run)": _l("Evaluating the published ruleset"),
         "comparing": _l("Comparing"), "playing the workflows": _l("Playing the workflows"),
         "checking golden customers": _l("Checking golden customers")}


def _enqueue(kind: str, def_id: str):
    number = request.form.get("number", type=int)
    with transaction(get_engine()) as session:
        _definition, versions = _load(session, kind, def_id)
        if number is None or _pick(versions, number) is None:
            abort(404)
        job = queue.enqueue(session, "dry_run",
                            {"preview": kind, kind: def_id, "version": number},
                            current_user.username)
        job_id = job.id
    return redirect(url_for("studio.preview_result", job_id=job_id), 303)


@bp.post("/ruleset/<def_id>/preview")
def preview(def_id: str):
    return _enqueue("ruleset", def_id)


@bp.post("/workflow/<def_id>/preview")
def preview_workflow(def_id: str):
    return _enqueue("workflow", def_id)


def _job(session: Session, job_id: int) -> Job | None:
    job = session.scalar(select(Job).where(Job.id == job_id, Job.kind == "dry_run",
                                           access.jobs(Viewer.of(current_user))))
    if job is not None:
        session.expunge(job)
    return job


@bp.get("/preview/<int:job_id>")
def preview_result(job_id: int):
    with Session(get_engine()) as session:
        job = _job(session, job_id)
    if job is None:
        abort(404)
    finished = job.status in FINISHED
    view = PreviewView.of(job) if job.status == "done" else None
    move = request.args.get("move", "")
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    moves = view.page_of_movers(move, page, PAGE_SIZE) if view is not None and move else None
    return render_template("studio/preview.html", job=job, finished=finished, view=view,
                           moves=moves, move=move, page=page,
                           step=STEPS.get(job.progress_note or "", job.progress_note))
