"""One definition in the studio: its versions (who, when, which is published), the history of
its publishes with their notes, the diff of two versions in words and as text, publish and
rollback with a note; a version that breaks golden expectations asks for confirmation."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import Session

from engine.definitions import drafts, golden, lifecycle, store
from engine.errors import InvalidInput, KamflowError, NotFound
from web.database import get_engine
from web.studio import bp, known_kind
from web.studio.golden import segment_looks
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
        history = lifecycle.publish_history(session, definition.kind, def_id)
        pinned = (golden.pin_count(session, def_id) if definition.kind == "ruleset" else None)
        return render_template(
            "studio/definition.html", definition=definition, versions=list(reversed(versions)),
            published=published, latest=latest, old=old, new=new, words=words, lines=lines,
            kind_labels=KIND_LABELS, title=latest.content.get("title"), history=history,
            version_notes={v.number: v.note for v in versions}, pinned=pinned,
            note_limit=lifecycle.NOTE_LIMIT)


def _version_action(kind: str, def_id: str, rolling_back: bool, done_message: str):
    number = request.form.get("number", type=int)
    if number is None:
        abort(400)
    note = request.form.get("note", "")
    try:
        published = lifecycle.publish_confirmed(
            get_engine(), known_kind(kind), def_id, number, current_user.username, note=note,
            confirmed=request.form.get("confirm") == "1", rolling_back=rolling_back)
        flash(done_message % {"n": published, "old": number}, "success")
    except NotFound:
        abort(404)
    except lifecycle.GoldenExpectationsBroken as exc:
        return _confirm_page(exc, note, rolling_back)
    except lifecycle.NoteTooLong as exc:
        flash(_("Not published: the note is longer than %(n)d characters.",
                n=lifecycle.NOTE_LIMIT), "error")
        flash(str(exc.problems[0]), "error")
    except InvalidInput as exc:
        flash(_("Not published: the published definitions would no longer fit together."),
              "error")
        for problem in exc.problems:
            flash(str(problem), "error")
    except KamflowError as exc:   # the dry run that checks golden customers failed
        flash(_("Not published: the version could not be tried on current data."), "error")
        flash(str(exc), "error")
    return redirect(url_for("studio.show", kind=kind, def_id=def_id), 303)


def _confirm_page(exc, note: str, rolling_back: bool):
    """The golden expectations a version breaks, and the form that publishes it anyway."""
    with Session(get_engine()) as session:
        definition, versions = _load(session, exc.kind, exc.def_id)
        segments = segment_looks(session, exc.def_id, exc.number)
        title = versions[-1].content.get("title")
    return render_template("studio/golden_confirm.html", definition=definition,
                           number=exc.number, broken=exc.broken, note=note,
                           rolling_back=rolling_back, segments=segments, title=title)


@bp.post("/<kind>/<def_id>/publish")
def publish(kind: str, def_id: str):
    return _version_action(kind, def_id, False,
                           _("Version %(n)d is published; it takes effect at the next run."))


@bp.post("/<kind>/<def_id>/rollback")
def rollback(kind: str, def_id: str):
    return _version_action(kind, def_id, True,
                           _("Version %(old)d is published again as version %(n)d; it takes "
                             "effect at the next run."))
