"""The preview of a draft ruleset: dry-run jobs of the draft and of the published version,
and the page that polls them and compares what they would give. Nothing is stored."""
from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import access
from engine.access import Viewer
from engine.db import transaction
from engine.definitions import store
from engine.jobs import queue
from engine.models import Job
from web.database import get_engine
from web.studio import bp
from web.studio.definition import _load, _pick

FINISHED = ("done", "failed")


@bp.post("/ruleset/<def_id>/preview")
def preview(def_id: str):
    number = request.form.get("number", type=int)
    with transaction(get_engine()) as session:
        definition, versions = _load(session, "ruleset", def_id)
        if number is None or _pick(versions, number) is None:
            abort(404)
        draft = queue.enqueue(session, "dry_run", {"ruleset": def_id, "version": number},
                              current_user.username)
        base = None
        if definition.published_version_id is not None:
            base = queue.enqueue(session, "dry_run", {"ruleset": def_id},
                                 current_user.username).id
        draft_id = draft.id
    return redirect(url_for("studio.preview_result", job_id=draft_id, base=base), 303)


def _job(session: Session, job_id: int | None) -> Job | None:
    if job_id is None:
        return None
    job = session.scalar(select(Job).where(Job.id == job_id, Job.kind == "dry_run",
                                           access.jobs(Viewer.of(current_user))))
    if job is not None:
        session.expunge(job)
    return job


@bp.get("/preview/<int:job_id>")
def preview_result(job_id: int):
    with Session(get_engine()) as session:
        draft = _job(session, job_id)
        if draft is None:
            abort(404)
        base = _job(session, request.args.get("base", type=int))
        labels, title = _segment_labels(session, draft.params)
    jobs = [j for j in (draft, base) if j is not None]
    finished = all(j.status in FINISHED for j in jobs)
    counts = {}
    for name, job in (("draft", draft), ("published", base)):
        if job is not None and job.status == "done" and job.result:
            for segment, n in job.result.get("counts", {}).get("segments", {}).items():
                counts.setdefault(segment, {})[name] = n
    return render_template("studio/preview.html", draft=draft, base=base, finished=finished,
                           counts=counts, labels=labels, title=title)


def _segment_labels(session: Session, params: dict) -> tuple[dict, object]:
    """Segment id → label of the previewed version (and its title), for the counts table."""
    definition = store.find_definition(session, "ruleset", str(params.get("ruleset")))
    if definition is None:
        return {}, None
    version = (store.versions(session, definition) or [None])[-1]
    if isinstance(params.get("version"), int):
        version = next((v for v in store.versions(session, definition)
                        if v.number == params["version"]), version)
    content = version.content if version is not None else {}
    classification = content.get("classification") or {}
    segments = classification.get("segments") or {}
    labels = {key: value.get("label") for key, value in segments.items()
              if isinstance(value, dict)}
    labels.update({tier.get("id"): tier.get("label") for tier in classification.get("tiers") or []
                   if isinstance(tier, dict)})
    return labels, content.get("title")
