"""One definition in the studio: its versions (who, when, which is published), the diff of two
versions in words and as text, publish and rollback."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import Session

from engine.db import transaction
from engine.definitions import drafts, lifecycle, store
from engine.errors import InvalidInput, NotFound
from web.database import get_engine
from web.studio import bp, known_kind
from web.studio.home import KIND_LABELS


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
