"""Cross-reference checks of a workflow (SPEC §3.4)."""
from __future__ import annotations

from engine.definitions.catalog import Catalog
from engine.definitions.documents import Document, did_you_mean
from engine.definitions.ruleset_checks import segment_ids
from engine.definitions.title_samples import sample_context
from engine.errors import Problem
from engine.templates import template_problems

UNCLASSIFIED = "unclassified"
ANY_SEGMENT = "*"


def check_workflow(doc: Document, catalog: Catalog) -> list[Problem]:
    problems: list[Problem] = []
    content = doc.content
    tasks = content.get("tasks", {})
    _check_templates(doc, tasks, sample_context(content, catalog), problems)
    ruleset = catalog.get("ruleset", content["ruleset"])
    if ruleset is None and catalog.is_broken("ruleset", content["ruleset"]):
        segments = None
    elif ruleset is None:
        problems.append(doc.problem(("ruleset",), f"unknown ruleset {content['ruleset']!r}"
                                                  f"{did_you_mean(content['ruleset'], catalog.ids('ruleset'))}"))
        segments = None
    else:
        segments = segment_ids(ruleset.content)
    _check_on_enter(doc, content.get("on_enter", {}), segments, tasks, problems)
    for i, entry in enumerate(content.get("on_transition", [])):
        _check_transition(doc, ("on_transition", i), entry, segments, tasks, problems)
    return problems


def _check_task_ids(doc, path, task_ids, tasks, problems) -> None:
    for i, task in enumerate(task_ids):
        if task not in tasks:
            problems.append(doc.problem(path + (i,), f"unknown task {task!r}"
                                                     f"{did_you_mean(task, tasks)}"))


def _check_on_enter(doc, on_enter, segments, tasks, problems) -> None:
    for segment, task_ids in on_enter.items():
        if segments is not None and segment not in segments:
            problems.append(doc.problem(("on_enter", segment), f"unknown segment {segment!r}"
                                                               f"{did_you_mean(segment, segments)}"))
        _check_task_ids(doc, ("on_enter", segment), task_ids, tasks, problems)
    for segment in segments or ():
        if segment not in on_enter:
            problems.append(doc.problem(("on_enter",), f"segment {segment!r} has no on_enter "
                                                       "entry"))


def _check_transition(doc, path, entry, segments, tasks, problems) -> None:
    for side in ("from", "to"):
        values = entry[side] if isinstance(entry[side], list) else [entry[side]]
        known = None if segments is None else [*segments, UNCLASSIFIED, ANY_SEGMENT]
        for j, value in enumerate(values):
            if known is not None and value not in known:
                where = path + (side, j) if isinstance(entry[side], list) else path + (side,)
                problems.append(doc.problem(where, f"unknown segment {value!r}"
                                                   f"{did_you_mean(value, known)}"))
    _check_task_ids(doc, path + ("tasks",), entry["tasks"], tasks, problems)


def _check_templates(doc, tasks, sample, problems) -> None:
    for task_id, template in tasks.items():
        title = template["title"]
        texts = title.items() if isinstance(title, dict) else [(None, title)]
        for locale, text in texts:
            path = ("tasks", task_id, "title") + ((locale,) if locale else ())
            problems.extend(doc.problem(path, message)
                            for message in template_problems(text, sample))
