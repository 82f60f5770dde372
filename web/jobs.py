"""``/jobs/<id>``: a job's progress while a worker runs it, then its result or its error. The
page polls its status fragment (htmx) until the job ends; without scripts it reloads itself."""
from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import access
from engine.access import Viewer
from engine.definitions.published import published_specs
from engine.models import Job
from web.database import get_engine

bp = Blueprint("jobs", __name__)
FINISHED = ("done", "failed")


def _job(job_id: int) -> Job:
    with Session(get_engine()) as session:
        job = session.scalar(select(Job).where(Job.id == job_id,
                                               access.jobs(Viewer.of(current_user))))
        if job is None:
            abort(404)
        session.expunge(job)
        return job


def _ruleset_of(job: Job):
    """The published spec of the ruleset a job names (its title and segment labels)."""
    ruleset_id = (job.params or {}).get("ruleset")
    if not ruleset_id:
        return None
    with Session(get_engine()) as session:
        return next((spec for spec in published_specs(session, "ruleset")
                     if spec.id == ruleset_id), None)


def _page(template: str, job_id: int):
    job = _job(job_id)
    spec = _ruleset_of(job)
    segments = {s.id: s for s in spec.segments} if spec else {}
    return render_template(template, job=job, finished=job.status in FINISHED, spec=spec,
                           segments=segments)


@bp.get("/jobs/<int:job_id>")
@login_required
def show(job_id: int):
    return _page("jobs/show.html", job_id)


@bp.get("/jobs/<int:job_id>/status")
@login_required
def status(job_id: int):
    return _page("jobs/_status.html", job_id)
