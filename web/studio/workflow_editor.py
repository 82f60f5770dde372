"""The workflow editor: per segment the tasks made on entering it, the table of moves with their
extra tasks, and the task templates (kind, channel, priority, assignee rule, due in or every N
days) with each title rendered live for a real customer in zh and en. Saving writes a draft
version through the same checks as ``pack import``; each problem is shown at its field."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import Session

from engine.db import transaction
from engine.definitions import drafts, store, workflow_edit
from engine.definitions.ruleset_checks import segment_ids, segment_labels
from engine.definitions.workflow_edit import TaskEdit, TransitionEdit, WorkflowEdit
from engine.errors import InvalidInput, Problem
from engine.workflows import title_preview
from web.database import get_engine
from web.studio import bp, flash_saved
from web.studio.definition import _load
from web.vocabulary import CHANNELS, TASK_KINDS

ID = re.compile(r"^[a-z][a-z0-9_]*$")
PRIORITIES = ("low", "normal", "high", "urgent")
ROLES = ("rep", "manager", "admin", "staff")
SENIORITIES = ("junior", "regular", "senior")
TASK_FIELD = {"title": "title-zh", "kind": "kind", "channel": "channel", "priority": "priority",
              "due_in_days": "days", "every_days": "days", "assignee": "assignee"}
NEW = "new"


@dataclass
class Editor:
    """What the page shows: the draft's structure, the ruleset's segments, the problems."""

    content: dict
    segments: list[str]
    labels: dict
    errors: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    def task_errors(self, task_id: str) -> bool:
        return any(name.startswith(f"{task_id}-") for name in self.errors)


def _ruleset_segments(session: Session, ruleset_id: str) -> tuple[list[str], dict]:
    definition = store.find_definition(session, "ruleset", ruleset_id)
    version = definition and (store.published_version(session, definition)
                              or store.latest_version(session, definition))
    content = version.content if version is not None else {}
    return segment_ids(content), segment_labels(content)


def _editor(session: Session, content: dict) -> Editor:
    segments, labels = _ruleset_segments(session, str(content.get("ruleset", "")))
    return Editor(content, segments, labels)


def _page(definition, latest, editor: Editor, status: int = 200):
    return render_template(
        "studio/workflow_editor.html", definition=definition, latest=latest, editor=editor,
        tasks=editor.content.get("tasks") or {}, on_enter=editor.content.get("on_enter") or {},
        transitions=editor.content.get("on_transition") or [], task_kinds=TASK_KINDS,
        channels=CHANNELS, priorities=PRIORITIES, roles=ROLES, seniorities=SENIORITIES,
        title=latest.content.get("title")), status


@bp.get("/workflow/<def_id>/design")
def workflow_editor(def_id: str):
    with Session(get_engine()) as session:
        definition, versions = _load(session, "workflow", def_id)
        latest = versions[-1]
        return _page(definition, latest, _editor(session, latest.content))


# --- reading the form -------------------------------------------------------------------------

def _days(prefix: str, errors: dict) -> int | None:
    raw = request.form.get(f"{prefix}-days", "").strip()
    if not raw.isdigit():
        errors.setdefault(f"{prefix}-days", []).append(_("Enter a whole number of days."))
        return None
    return int(raw)


def _task(prefix: str, errors: dict) -> TaskEdit:
    form = request.form
    assignee = {key: form.get(f"{prefix}-assignee-{key}", "").strip()
                for key in workflow_edit.ASSIGNEE_KEYS}
    timing = form.get(f"{prefix}-timing", "due_in_days")
    return TaskEdit(titles={locale: form.get(f"{prefix}-title-{locale}", "").strip()
                            for locale in workflow_edit.LOCALES},
                    kind=form.get(f"{prefix}-kind", "").strip(),
                    timing=timing if timing in workflow_edit.TIMINGS else "due_in_days",
                    days=_days(prefix, errors), channel=form.get(f"{prefix}-channel", "").strip(),
                    priority=form.get(f"{prefix}-priority", "").strip(), assignee=assignee)


def _tasks(existing: dict, errors: dict) -> dict[str, TaskEdit]:
    tasks = {task_id: _task(task_id, errors) for task_id in existing
             if not request.form.get(f"{task_id}-remove")}
    new_id = request.form.get(f"{NEW}-id", "").strip()
    if new_id:
        if not ID.match(new_id) or len(new_id) > 100:
            errors.setdefault(f"{NEW}-id", []).append(
                _("Use lowercase letters, digits and _, starting with a letter."))
        elif new_id in existing:
            errors.setdefault(f"{NEW}-id", []).append(_("A task with this id exists."))
        else:
            tasks[new_id] = _task(NEW, errors)
    return tasks


def _on_enter(segments: list[str], current: dict, tasks: dict) -> dict[str, tuple[str, ...]]:
    """Each segment's chosen tasks: the order they had first, then new ones in task order."""
    chosen = {}
    for segment in segments:
        picked = [t for t in request.form.getlist(f"enter-{segment}") if t in tasks]
        kept = [t for t in current.get(segment) or [] if t in picked]
        chosen[segment] = tuple(kept + [t for t in tasks if t in picked and t not in kept])
    return chosen


def _transitions(count: int, tasks: dict) -> tuple[TransitionEdit, ...]:
    rows = []
    for key in [str(i) for i in range(count)] + [NEW]:
        if request.form.get(f"tr-{key}-remove"):
            continue
        chosen = tuple(t for t in request.form.getlist(f"tr-{key}-tasks") if t in tasks)
        if not chosen:                    # a new row left empty, or its tasks all removed
            continue
        rows.append(TransitionEdit(tuple(request.form.getlist(f"tr-{key}-from")),
                                   tuple(request.form.getlist(f"tr-{key}-to")), chosen))
    return tuple(rows)


def _place(editor: Editor, problems) -> None:
    """Each problem at its field, or above the form when no field shows it."""
    tasks = editor.content.get("tasks") or {}
    for problem in problems:
        where = _field_of(problem)
        if where and (where.split("-", 1)[0] in tasks or where.startswith(("enter-", "tr-"))):
            editor.errors.setdefault(where, []).append(problem.message)
        else:
            editor.general.append(str(problem))


def _field_of(problem: Problem) -> str | None:
    """The form field a validator problem belongs to, from its JSON path."""
    path = problem.path or ""
    match = re.match(r"^\$\.tasks\.([a-z][a-z0-9_]*)(?:\.(\w+))?", path)
    if match:
        task_id, key = match.groups()
        return f"{task_id}-{TASK_FIELD.get(key, 'title-zh')}" if key else f"{task_id}-kind"
    match = re.match(r"^\$\.on_enter\.([a-z][a-z0-9_]*)", path)
    if match:
        return f"enter-{match.group(1)}"
    match = re.match(r"^\$\.on_transition\[(\d+)\]", path)
    return f"tr-{match.group(1)}" if match else None


# --- saving -----------------------------------------------------------------------------------

@bp.post("/workflow/<def_id>/design")
def save_workflow_design(def_id: str):
    with Session(get_engine()) as session:
        definition, versions = _load(session, "workflow", def_id)
        latest = versions[-1]
        editor = _editor(session, latest.content)
    if request.form.get("number", type=int) != latest.number:
        flash(_("The draft changed since you opened it (now version %(n)d); your changes were "
                "not saved. Make them again here.", n=latest.number), "error")
        return redirect(url_for("studio.workflow_editor", def_id=def_id), 303)
    errors: dict[str, list[str]] = {}
    tasks = _tasks(latest.content.get("tasks") or {}, errors)
    edit = WorkflowEdit(on_enter=_on_enter(editor.segments, latest.content.get("on_enter") or {},
                                           tasks),
                        transitions=_transitions(request.form.get("tr-count", 0, type=int), tasks),
                        tasks=tasks)
    name = drafts.file_name("workflow", def_id, latest.source_format)
    try:
        text = workflow_edit.apply(latest.source, edit, name, latest.source_format)
    except InvalidInput as exc:          # the draft's text does not parse: edit it as text
        editor.general = [str(p) for p in exc.problems]
        return _page(definition, latest, editor, 400)
    editor.content = json.loads(json.dumps(workflow_edit.load(text, name)))  # as submitted
    editor.errors = errors
    if errors:
        return _page(definition, latest, editor, 400)
    try:
        with transaction(get_engine()) as session:
            version = drafts.save_text(session, "workflow", def_id, text, current_user.username,
                                       latest.source_format, definition.pack_id)
            number = version.number
    except InvalidInput as exc:
        _place(editor, exc.problems)
        return _page(definition, latest, editor, 400)
    flash_saved(number, latest.number)
    return redirect(url_for("studio.workflow_editor", def_id=def_id), 303)


# --- live titles ------------------------------------------------------------------------------

@bp.get("/workflow/<def_id>/design/title")
def workflow_title(def_id: str):
    """A task's titles rendered for a real customer (htmx partial, also a plain page)."""
    prefix = request.args.get("prefix", "")
    if prefix != NEW and not ID.match(prefix):
        abort(404)
    with Session(get_engine()) as session:
        _definition, versions = _load(session, "workflow", def_id)
        ruleset = str(versions[-1].content.get("ruleset", ""))
        subject = title_preview.subject(session, ruleset, request.args.get("customer"))
    rendered = {}
    if subject is not None:
        rendered = {locale: title_preview.render_for(
                        subject, request.args.get(f"{prefix}-title-{locale}", ""))
                    for locale in workflow_edit.LOCALES}
    return render_template("studio/workflow_title.html", subject=subject, rendered=rendered,
                           customer=request.args.get("customer", ""), prefix=prefix)
