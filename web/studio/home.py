"""The studio's home: every definition with its pack, versions and last change; new
definitions in the ``local`` pack, from a starter text or as a copy of another one."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from engine.db import transaction
from engine.definitions import drafts
from engine.errors import InvalidInput
from engine.models.definitions import DEFINITION_KINDS
from web.database import get_engine
from web.studio import bp

KIND_LABELS = {"form": _l("Form"), "ruleset": _l("Ruleset"), "workflow": _l("Workflow")}


class NewDefinitionForm(FlaskForm):
    kind = SelectField(_l("Kind"), validators=[DataRequired()],
                       choices=[SelectChoice(k, KIND_LABELS[k]) for k in DEFINITION_KINDS])
    def_id = StringField(_l("Id"), validators=[DataRequired(), Length(max=100)],
                         description=_l("Lowercase letters, digits and _, starting with a "
                                        "letter, e.g. key_accounts."))
    copy_of = SelectField(_l("Start from"), validate_choice=False)


def _new_form(rows) -> NewDefinitionForm:
    form = NewDefinitionForm()
    form.copy_of.choices = [SelectChoice("", _("An empty starter"))] + [
        SelectChoice(f"{r.kind}:{r.def_id}", _("Copy of %(kind)s %(id)s",
                                               kind=KIND_LABELS[r.kind], id=r.def_id))
        for r in rows]
    return form


def _home(form: NewDefinitionForm, rows, status: int = 200):
    grouped = {kind: [r for r in rows if r.kind == kind] for kind in DEFINITION_KINDS}
    return render_template("studio/home.html", grouped=grouped, form=form,
                           kind_labels=KIND_LABELS), status


@bp.get("/")
def index():
    with Session(get_engine()) as session:
        rows = drafts.overview(session)
    return _home(_new_form(rows), rows)


@bp.post("/new")
def new():
    with Session(get_engine()) as session:
        rows = drafts.overview(session)
    form = _new_form(rows)
    if not form.validate_on_submit():
        return _home(form, rows, 400)
    kind, def_id = form.kind.data, form.def_id.data.strip()
    copy_of = None
    if form.copy_of.data:
        copy_kind, _sep, copy_of = form.copy_of.data.partition(":")
        if copy_kind != kind or not any(r.kind == kind and r.def_id == copy_of for r in rows):
            form.copy_of.errors.append(_("Choose a definition of the same kind to copy."))
            return _home(form, rows, 400)
    try:
        with transaction(get_engine()) as session:
            drafts.create(session, kind, def_id, current_user.username, copy_of=copy_of)
    except InvalidInput as exc:
        form.def_id.errors.extend(p.message if p.line is None else str(p) for p in exc.problems)
        return _home(form, rows, 400)
    flash(_("Draft created. Check it, then publish it."), "success")
    return redirect(url_for("studio.edit", kind=kind, def_id=def_id), 303)
