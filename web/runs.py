"""``/runs``: evaluation runs — history, one run's counts, matrix and warnings — and, for
admins, "run now" and "dry run" of a ruleset as jobs (SPEC §5.3) whose page shows progress."""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import DateField, RadioField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Optional

from engine import access, run_report
from engine.access import Viewer
from engine.db import transaction
from engine.definitions.published import published_specs
from engine.jobs import queue
from web.accounts import role_required
from web.database import get_engine
from web.i18n import current_locale

bp = Blueprint("runs", __name__)

MODES = [SelectChoice("evaluate", _l("Run now: store the run and create the follow-up tasks")),
         SelectChoice("dry_run", _l("Dry run: show what a run would give, store nothing"))]


class RunForm(FlaskForm):
    ruleset = SelectField(_l("Ruleset"), validators=[DataRequired()])
    as_of = DateField(_l("As of"), validators=[Optional()],
                      description=_l("Empty: today."))
    mode = RadioField(_l("What to do"), choices=MODES, default="evaluate",
                      validators=[DataRequired()])


def _rulesets(session: Session) -> dict[str, object]:
    return {spec.id: spec for spec in published_specs(session, "ruleset")}


def _run_form(rulesets: dict) -> RunForm:
    """The "run an evaluation" form, its rulesets by title in the reader's language."""
    form = RunForm()
    locale = current_locale()
    form.ruleset.choices = [
        SelectChoice(ruleset_id, spec.title.get(locale) if spec.title else ruleset_id)
        for ruleset_id, spec in rulesets.items()]
    return form


@bp.get("/runs")
@role_required(*access.READS_RUNS)
def index():
    ruleset_id = request.args.get("ruleset") or None
    before = request.args.get("before", type=int)
    with Session(get_engine()) as session:
        rulesets = _rulesets(session)
        runs, next_before = run_report.run_history(session.connection(), ruleset_id, before)
    form = _run_form(rulesets) if current_user.role in access.RUNS_EVALUATIONS else None
    return render_template("runs/index.html", runs=runs, next_before=next_before, form=form,
                           rulesets=rulesets, ruleset_id=ruleset_id)


@bp.get("/runs/<int:run_id>")
@role_required(*access.READS_RUNS)
def show(run_id: int):
    viewer = Viewer.of(current_user)
    with Session(get_engine()) as session:
        run = run_report.run_record(session.connection(), run_id)
        if run is None:
            abort(404)
        matrix = run_report.migration_matrix(session.connection(), viewer, run_id)
        spec = _rulesets(session).get(run["ruleset_id"])
    segments = {s.id: s for s in spec.segments} if spec else {}
    return render_template("runs/show.html", run=run, matrix=matrix, segments=segments,
                           spec=spec)


@bp.post("/runs/evaluate")
@role_required(*access.RUNS_EVALUATIONS)
def evaluate():
    with Session(get_engine()) as session:
        rulesets = _rulesets(session)
    form = _run_form(rulesets)
    if not form.validate_on_submit():
        with Session(get_engine()) as session:
            runs, next_before = run_report.run_history(session.connection())
        return render_template("runs/index.html", runs=runs, next_before=next_before,
                               form=form, rulesets=rulesets, ruleset_id=None), 400
    params = {"ruleset": form.ruleset.data}
    if form.as_of.data:
        params["as_of"] = form.as_of.data.isoformat()
    with transaction(get_engine()) as session:
        job = queue.enqueue(session, form.mode.data, params, current_user.username)
    return redirect(url_for("jobs.show", job_id=job.id), 303)
