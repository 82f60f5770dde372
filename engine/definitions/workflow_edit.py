"""Structured edits of a workflow's text, for the studio's workflow editor: the tasks made on
entering each segment, the table of moves, and the task templates. Each edit reads the draft's
text with a round-trip YAML parser and writes it back, so comments, key order and every part
the edit does not touch stay as the admin wrote them (a JSON definition is written back as
JSON). The result is only text: saving it as a draft goes through the same checks as
``pack import`` (``drafts.save_text``).
"""
from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from engine.definitions.ruleset_edit import round_trip_yaml
from engine.errors import InvalidInput, Problem

ANY_SEGMENT = "*"
TIMINGS = ("due_in_days", "every_days")
ASSIGNEE_KEYS = ("prefer", "role", "min_seniority", "team", "manager_of")
LOCALES = ("zh", "en")


@dataclass(frozen=True)
class TaskEdit:
    """One task template as the editor's form gives it; empty strings mean "not set"."""

    titles: dict[str, str]                 # locale → title template
    kind: str
    timing: str                            # "due_in_days" or "every_days"
    days: int | None
    channel: str = ""
    priority: str = ""
    assignee: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TransitionEdit:
    sources: tuple[str, ...]               # segment ids, or ("*",)
    targets: tuple[str, ...]
    tasks: tuple[str, ...]


@dataclass(frozen=True)
class WorkflowEdit:
    """The whole editor form: what replaces ``on_enter``, ``on_transition`` and ``tasks``."""

    on_enter: dict[str, tuple[str, ...]]
    transitions: tuple[TransitionEdit, ...]
    tasks: dict[str, TaskEdit]             # in the order the form lists them; absent = removed


def load(text: str, file_name: str) -> CommentedMap:
    """The document as an editable tree; a text that is not a mapping is refused."""
    try:
        document = round_trip_yaml(text).load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InvalidInput([Problem(file=file_name, line=mark.line + 1 if mark else None,
                                    message="the text does not parse; fix it in the YAML "
                                            "view first")], subject=file_name) from None
    if not isinstance(document, CommentedMap):
        raise InvalidInput([Problem(file=file_name, message="the text is not a workflow "
                                                            "(a mapping of keys)")],
                           subject=file_name)
    return document


def dump(document: CommentedMap, file_format: str, text: str) -> str:
    """The edited document as text, indented as the original ``text``."""
    if file_format == "json":
        return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    out = io.StringIO()
    round_trip_yaml(text).dump(document, out)
    return out.getvalue()


def apply(text: str, edit: WorkflowEdit, file_name: str, file_format: str = "yaml") -> str:
    """The workflow's text with ``edit`` applied."""
    document = load(text, file_name)
    _set_on_enter(document, edit.on_enter)
    _set_transitions(document, edit.transitions)
    _set_tasks(document, edit.tasks)
    return dump(document, file_format, text)


def _flow(items) -> CommentedSeq:
    seq = CommentedSeq(items)
    seq.fa.set_flow_style()
    return seq


def _set_on_enter(document: CommentedMap, on_enter: dict[str, tuple[str, ...]]) -> None:
    current = document.get("on_enter")
    if not isinstance(current, CommentedMap):
        current = document["on_enter"] = CommentedMap()
    for segment in [s for s in current if s not in on_enter]:
        del current[segment]
    for segment, task_ids in on_enter.items():
        if list(current.get(segment) or []) != list(task_ids):
            current[segment] = _flow(list(task_ids))


def _side(values: tuple[str, ...]) -> Any:
    """One segment as a plain id, "*" alone, several as a list (as admins write them)."""
    if ANY_SEGMENT in values or len(values) == 0:
        return ANY_SEGMENT
    return values[0] if len(values) == 1 else _flow(list(values))


def _as_tuple(value: Any) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, list) else (value,)


def _set_transitions(document: CommentedMap, transitions: tuple[TransitionEdit, ...]) -> None:
    """Rows edited in place: an unchanged row keeps its text, the list keeps its comments."""
    rows = document.get("on_transition")
    if not isinstance(rows, CommentedSeq):
        rows = CommentedSeq()
    for i, move in enumerate(transitions):
        if i < len(rows) and _same_move(rows[i], move):
            continue
        row = CommentedMap([("from", _side(move.sources)), ("to", _side(move.targets)),
                            ("tasks", _flow(list(move.tasks)))])
        row.fa.set_flow_style()
        if i < len(rows):
            rows[i] = row
        else:
            rows.append(row)
    del rows[len(transitions):]
    if rows:
        document["on_transition"] = rows
    elif "on_transition" in document:
        del document["on_transition"]


def _same_move(row: Any, move: TransitionEdit) -> bool:
    return isinstance(row, dict) and (
        _as_tuple(row.get("from")), _as_tuple(row.get("to")), tuple(row.get("tasks") or ())) == (
        _side_tuple(move.sources), _side_tuple(move.targets), move.tasks)


def _side_tuple(values: tuple[str, ...]) -> tuple[str, ...]:
    side = _side(values)
    return _as_tuple(list(side) if isinstance(side, CommentedSeq) else side)


def _set_tasks(document: CommentedMap, tasks: dict[str, TaskEdit]) -> None:
    current = document.get("tasks")
    if not isinstance(current, CommentedMap):
        current = document["tasks"] = CommentedMap()
    for task_id in [t for t in current if t not in tasks]:
        del current[task_id]
    for task_id, edit in tasks.items():
        template = current.get(task_id)
        if not isinstance(template, CommentedMap):
            template = current[task_id] = CommentedMap()
        _set_task(template, edit)


def _set_value(mapping: CommentedMap, key: str, value: Any) -> None:
    """Set, or remove when empty, keeping the key's place when it exists."""
    if value in (None, "", {}):
        if key in mapping:
            del mapping[key]
    elif mapping.get(key) != value:
        mapping[key] = value


def _set_task(template: CommentedMap, edit: TaskEdit) -> None:
    _set_title(template, edit.titles)
    _set_value(template, "kind", edit.kind)
    _set_value(template, "channel", edit.channel)
    _set_value(template, "priority", edit.priority)
    _set_assignee(template, edit.assignee)
    other = [t for t in TIMINGS if t != edit.timing]
    for key in other:
        _set_value(template, key, None)
    _set_value(template, edit.timing, edit.days)


def _set_title(template: CommentedMap, titles: dict[str, str]) -> None:
    given = {locale: text for locale, text in titles.items() if text}
    current = template.get("title")
    if isinstance(current, str) and set(given.values()) == {current}:
        return                               # one title for every language, unchanged
    if isinstance(current, CommentedMap):
        for locale in [k for k in current if k in LOCALES and k not in given]:
            del current[locale]
        for locale, text in given.items():
            if current.get(locale) != text:
                current[locale] = text
        return
    title = CommentedMap(given.items())
    title.fa.set_flow_style()
    template["title"] = title


def _set_assignee(template: CommentedMap, assignee: dict[str, str]) -> None:
    given = {k: v for k, v in assignee.items() if k in ASSIGNEE_KEYS and v}
    current = template.get("assignee")
    if not given:
        _set_value(template, "assignee", None)
        return
    if isinstance(current, dict) and {k: current[k] for k in current} == given:
        return
    rule = CommentedMap((k, given[k]) for k in ASSIGNEE_KEYS if k in given)
    rule.fa.set_flow_style()
    template["assignee"] = rule
