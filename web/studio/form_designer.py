"""The form designer: a profile form's fields edited as a form instead of as YAML.

The page carries the working text of the form (the latest version's, at first) in a hidden
input; every post applies the edited attributes and one action (add, remove, move up or down,
save) to that text through ``engine.definitions.form_edit``, which keeps the rest of the text
and its comments. Saving stores a draft version through ``drafts.save_text`` (checked like
``pack import``); the published version is never touched. Without JavaScript every action is a
plain submit; ``form_designer.js`` adds drag and drop, in-place moves and the live preview.
"""
from __future__ import annotations

import re

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import Session

from engine.customers.profile_edit import submitted_values, visible_keys
from engine.db import transaction
from engine.definitions import drafts, form_edit, store
from engine.definitions.specs import FormSpec, build_form
from engine.errors import InvalidInput
from engine.forms import FIELD_TYPES, ProfileForm
from web import customer_text
from web.database import get_engine
from web.studio import bp, flash_saved
from web.studio import form_designer_input as posted
from web.studio.definition import _load

KIND = "form"
PREVIEW_SOURCE = "fd-preview-source"     # no field key has a "-": never a field's name
PREVIEW_CHECK = "fd-preview-check"
_FIELD_PATH = re.compile(r"\$\.fields\[(\d+)\](?:\.(\w+))?")


class _Refused(Exception):
    """A post that cannot go further: the page is shown again with these errors."""


def _latest(session: Session, def_id: str):
    definition, _versions = _load(session, KIND, def_id)
    return definition, store.latest_version(session, definition)


@bp.route("/form/<def_id>/design", methods=("GET", "POST"))
def form_designer(def_id: str):
    with Session(get_engine()) as session:
        definition, latest = _latest(session, def_id)
        published = store.published_version(session, definition)
        published_docs = store.published_documents(session)
    if request.method == "GET":
        state = _State(latest.source, latest.source_format)
        return _page(definition, latest, published, state)
    state = _State(request.form.get("source", latest.source).replace("\r\n", "\n"),
                   latest.source_format)
    action = request.form.get("action", "apply")
    state.apply_post(request.form, action)
    if action == "save" and request.form.get("base", type=int) not in (None, latest.number):
        state.problems.append(_(
            "Version %(n)d was saved since you opened the designer; saving again replaces "
            "its fields with the ones below (its changes are in the history).", n=latest.number))
        state.blocked = True
    if action != "save" or state.blocked:
        if action == "save":
            state.check(published_docs)
        return _page(definition, latest, published, state), 400 if state.blocked else 200
    return _save(definition, latest, published, state)


def _save(definition, latest, published, state: "_State"):
    try:
        with transaction(get_engine()) as session:
            version = drafts.save_text(session, KIND, definition.def_id, state.text,
                                       current_user.username, state.file_format,
                                       definition.pack_id)
            number = version.number
    except InvalidInput as exc:
        state.take_problems(exc.problems)
        return _page(definition, latest, published, state), 400
    flash_saved(number, latest.number)
    return redirect(url_for("studio.show", kind=KIND, def_id=definition.def_id), 303)


@bp.post("/form/<def_id>/design/preview")
def form_designer_preview(def_id: str):
    """The preview and the problems of the working text (htmx): with the designer's posted
    edits, or, posted from the preview itself, with the values typed there (the fields whose
    condition holds are shown; "check" validates them as the customer page would)."""
    with Session(get_engine()) as session:
        definition, latest = _latest(session, def_id)
        published_docs = store.published_documents(session)
    trial = PREVIEW_SOURCE in request.form
    text = request.form.get(PREVIEW_SOURCE if trial else "source", latest.source)
    state = _State(text.replace("\r\n", "\n"), latest.source_format)
    if not trial:
        state.apply_post(request.form, "apply")
    state.check(published_docs)
    context = _preview_context(state)
    if trial:
        context.update(_tried(state, context["form"], bool(request.form.get(PREVIEW_CHECK))))
    return render_template("studio/form_designer_preview.html", state=state,
                           definition=definition, **context)


def _tried(state: "_State", form: FormSpec, validate: bool) -> dict:
    """Cells, values, shown fields and (when ``validate``) problems of the preview's values."""
    cells = {}
    for field in form.fields:
        if field.key in request.form:
            values = [v.strip() for v in request.form.getlist(field.key)]
            cells[field.key] = (";".join(v for v in values if v) if field.type == "multiselect"
                                else values[-1])
    values = submitted_values(form, {}, cells)
    shown = visible_keys(form, values, {})
    errors = {}
    if validate and not (state.errors or state.problems):
        given = {key: cell for key, cell in cells.items() if key in shown}
        _data, problems = ProfileForm(form).from_cells(given)
        errors = {p.key: customer_text.problem_text(p, form.field(p.key)) for p in problems
                  if p.key in shown}
    return {"cells": cells, "values": values, "visible": shown, "profile_errors": errors,
            "tried": True}


@bp.post("/form/<def_id>/design/check")
def form_designer_check(def_id: str):
    """Whether one field's ``visible_if`` checks, as the admin types it (htmx)."""
    with Session(get_engine()) as session:
        _latest(session, def_id)
    key = request.form.get("check", "")
    state = _State(request.form.get("source", "").replace("\r\n", "\n"))
    state.apply_post(request.form, "apply")
    expression = (request.form.get(posted.name(key, "visible_if")) or "").strip()
    if not expression:
        problem = None
    elif not state.fields:          # the working text could not be read
        problem = (state.problems or [_("The form's text could not be read.")])[0]
    else:
        problem = form_edit.check_visible_if(state.fields, key, expression)
    return render_template("studio/form_designer_check.html", expression=expression,
                           problem=problem, key=key)


class _State:
    """The working text, its fields, and what went wrong on the way."""

    def __init__(self, text: str, file_format: str = "yaml"):
        self.text, self.file_format = text, file_format
        self.errors: dict[tuple[str, str], str] = {}    # (field key, attribute) → message
        self.problems: list = []                         # problems not at one field
        self.opened: set[str] = set()
        self.blocked = False
        self.fields = self._read()

    def _read(self) -> list[dict]:
        try:
            return form_edit.read_fields(self.text, self.file_format)
        except form_edit.FormEditError as exc:
            self.problems.append(str(exc))
            self.blocked = True
            return []

    def _apply(self, changes) -> None:
        """Apply ``changes`` at once; when one does not fit, each alone (so that every one
        that does not fit is named at its field and the others still apply)."""
        if not changes:
            return
        try:
            self.text = form_edit.apply_changes(self.text, changes, self.file_format)
        except form_edit.FormEditError as exc:
            if len(changes) == 1:
                self._error(exc)
                return
            for change in changes:
                self._apply([change])
            return
        self.fields = self._read()

    def _error(self, exc: form_edit.FormEditError) -> None:
        if exc.field is not None:
            self.errors[(exc.field, exc.attribute or "key")] = exc.reason
            self.opened.add(exc.field)
        else:
            self.problems.append(str(exc))
        self.blocked = True

    def apply_post(self, form, action: str) -> None:
        if self.blocked:
            return
        submission = posted.read_edits(form, self.fields)
        self.errors.update(submission.errors)
        self.opened.update(key for key, _attribute in submission.errors)
        self.blocked = bool(submission.errors)
        self._apply(submission.changes)
        if not self.blocked:
            self._action(form, action)
        self._apply(submission.renames)
        for field in self.fields:
            expression = field.get("visible_if")
            if isinstance(expression, str):
                problem = form_edit.check_visible_if(self.fields, field["key"], expression)
                if problem:
                    self.errors.setdefault((field["key"], "visible_if"), problem)

    def _action(self, form, action: str) -> None:
        verb, _sep, key = action.partition(":")
        keys = [f["key"] for f in self.fields]
        if verb in ("up", "down") and key in keys:
            to = keys.index(key) + (-1 if verb == "up" else 1)
            if 0 <= to < len(keys):
                self._apply([form_edit.MoveField(key, to)])
        elif verb == "remove" and key in keys:
            self._apply([form_edit.RemoveField(key)])
        elif verb == "add":
            self._add(form)

    def _add(self, form) -> None:
        new_key = (form.get("new-key") or "").strip()
        change = form_edit.AddField(
            new_key, form.get("new-type") or "text",
            {loc: form.get(f"new-label-{loc}") or "" for loc in form_edit.LOCALES},
            bool(form.get("new-required")))
        try:
            self.text = form_edit.apply_changes(self.text, [change], self.file_format)
        except form_edit.FormEditError as exc:
            self.errors[("new", exc.attribute or "key")] = exc.reason
            self.blocked = True
            return
        self.fields = self._read()
        self.opened.add(new_key)

    def check(self, published_docs) -> None:
        """Every problem saving would report, each at its field where it has one."""
        if not self.blocked:
            self.take_problems(form_edit.check_text(self.text, published_docs, self.file_format),
                               blocking=False)

    def take_problems(self, problems, blocking: bool = True) -> None:
        keys = [f["key"] for f in self.fields]
        for problem in problems:
            match = _FIELD_PATH.match(problem.path or "")
            if match and int(match.group(1)) < len(keys):
                key = keys[int(match.group(1))]
                self.errors.setdefault((key, match.group(2) or "key"), problem.message)
                self.opened.add(key)
            else:
                self.problems.append(str(problem))
        self.blocked = self.blocked or (blocking and bool(problems))

    def field_errors(self, key: str) -> list[tuple[str, str]]:
        return [(attribute, message) for (k, attribute), message in self.errors.items()
                if k == key]


def preview_form(state: _State) -> FormSpec:
    """The form as the customer page would show it, from the fields that can be built."""
    built = []
    for field in state.fields:
        try:
            built.extend(build_form({"id": "preview", "title": "", "customer_type": "preview",
                                     "fields": [field]}).fields)
        except (KeyError, TypeError, AttributeError):
            continue        # a field still missing its label or type is left out
    return FormSpec("preview", build_form({"id": "p", "title": "p", "customer_type": "p",
                                           "fields": []}).title, "preview", tuple(built))


def _preview_context(state: _State) -> dict:
    form = preview_form(state)
    return {"form": form, "values": {}, "cells": None, "profile_errors": {},
            "visible": visible_keys(form, {}, {}), "tried": False,
            "label_of": customer_text.label_of, "shown": customer_text.shown,
            "sections": customer_text.sections, "cell_of": customer_text.cell_of,
            "option_texts": customer_text.option_texts}


def _page(definition, latest, published, state: _State):
    if not definition.kind == KIND:
        abort(404)
    return render_template(
        "studio/form_designer.html", definition=definition, latest=latest,
        published=published, state=state, field_types=list(FIELD_TYPES), posted=posted,
        title=latest.content.get("title"), **_preview_context(state))
