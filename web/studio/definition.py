"""One definition in the studio: its versions (who, when, which is published), the diff of two
versions in words and as text, publish and rollback, the YAML editor that saves drafts, and
the preview of a draft ruleset as dry-run jobs."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import access
from engine.access import Viewer
from engine.db import transaction
from engine.definitions import drafts, lifecycle, store
from engine.definitions.source import MAX_FILE_BYTES
from engine.errors import InvalidInput, NotFound
from engine.jobs import queue
from engine.models import Job
from web.database import get_engine
from web.studio import bp, known_kind
from web.studio.home import KIND_LABELS

FINISHED = ("done", "failed")


def _load(session: Session, kind: str, def_id: str):
    definition = store.find_definition(session, known_kind(kind), def_id)
    if definition is None:
        abort(404)
    return definition, store.versions(session, definition)


def _pick(versions, number):
    return next((v for v in versions if v.number == number), None)


def _default_pair(versions, published):
    """Published → latest when a draft follows it; else the last two versions."""
    latest = versions[-1]
    if published is not None and published.number != latest.number:
        return published, latest
    return (versions[-2], latest) if len(versions) > 1 else (None, None)


@bp.get("/<kind>/<def_id>")
def show(kind: str, def_id: str):
    with Session(get_engine()) as session:
        definition, versions = _load(session, kind, def_id)
        published = store.published_version(session, definition)
        old, new = _default_pair(versions, published)
        if request.args.get("a", type=int) and request.args.get("b", type=int):
            old = _pick(versions, request.args.get("a", type=int)) or old
            new = _pick(versions, request.args.get("b", type=int)) or new
        words, lines = drafts.compare(old, new) if old and new else ([], [])
        latest = versions[-1]
        return render_template(
            "studio/definition.html", definition=definition, versions=list(reversed(versions)),
            published=published, latest=latest, old=old, new=new, words=words, lines=lines,
            kind_labels=KIND_LABELS, title=latest.content.get("title"))


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


def _version_action(kind: str, def_id: str, action, done_message: str):
    number = request.form.get("number", type=int)
    if number is None:
        abort(400)
    try:
        with transaction(get_engine()) as session:
            if store.find_definition(session, known_kind(kind), def_id) is None:
                abort(404)
            version = action(session, kind, def_id, number, current_user.username)
            flash(done_message % {"n": version.number, "old": number}, "success")
    except NotFound:
        abort(404)
    except InvalidInput as exc:
        flash(_("Not published: the published definitions would no longer fit together."),
              "error")
        for problem in exc.problems:
            flash(str(problem), "error")
    return redirect(url_for("studio.show", kind=kind, def_id=def_id), 303)


@bp.post("/<kind>/<def_id>/publish")
def publish(kind: str, def_id: str):
    return _version_action(kind, def_id, lifecycle.publish_version,
                           _("Version %(n)d is published; it takes effect at the next run."))


@bp.post("/<kind>/<def_id>/rollback")
def rollback(kind: str, def_id: str):
    return _version_action(kind, def_id, lifecycle.rollback,
                           _("Version %(old)d is published again as version %(n)d; it takes "
                             "effect at the next run."))


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
