"""Semantic checks of a form: unique keys, options, bounds, patterns, visible_if."""
from __future__ import annotations

import re

from engine.definitions.catalog import check_expression
from engine.definitions.documents import Document
from engine.definitions.metric_checks import field_type
from engine.errors import Problem
from engine.expr import BOOLEAN, TEXT
from engine.facts import CORE_ATTRIBUTES


def check_form(doc: Document) -> list[Problem]:
    problems: list[Problem] = []
    fields = doc.content.get("fields", [])
    env = {name: TEXT for name in CORE_ATTRIBUTES}
    seen: set[str] = set()
    for i, field in enumerate(fields):
        key = field["key"]
        if key in seen or key in CORE_ATTRIBUTES:
            what = "a core attribute" if key in CORE_ATTRIBUTES else "already a field"
            problems.append(doc.problem(("fields", i, "key"), f"{key!r} is {what}"))
        seen.add(key)
        env[key] = field_type(field)
        _check_field(doc, ("fields", i), field, problems)
    for i, field in enumerate(fields):
        if "visible_if" in field:
            check_expression(doc, ("fields", i, "visible_if"), field["visible_if"], env,
                             problems, expect=BOOLEAN)
    return problems


def _check_field(doc, path, field, problems) -> None:
    if "min" in field and "max" in field and field["min"] > field["max"]:
        problems.append(doc.problem(path + ("min",), "min is above max"))
    if "pattern" in field:
        try:
            re.compile(field["pattern"])
        except re.error as exc:
            problems.append(doc.problem(path + ("pattern",), f"not a regular expression: {exc}"))
    values = [str(o["value"]) for o in field.get("options", [])]
    for j, value in enumerate(values):
        if value in values[:j]:
            problems.append(doc.problem(path + ("options", j, "value"),
                                        f"duplicate option {value!r}"))
    if "default" in field and values and field["type"] == "select":
        if str(field["default"]) not in values:
            problems.append(doc.problem(path + ("default",), f"default {field['default']!r} is "
                                                             "not one of the options"))
