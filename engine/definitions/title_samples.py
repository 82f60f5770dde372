"""The sample customer a workflow's title templates are test-rendered for when it is saved.

It has every core attribute and every profile field of the forms in the workflow's scope,
with values of the field's type taken from its definition where it sets one (the largest
number it allows, its options), so that a template that would go past a limit for real data
of that shape goes past it here too.
"""
from __future__ import annotations

from typing import Any

from engine.definitions.catalog import Catalog
from engine.definitions.ruleset_checks import segment_ids

UNCLASSIFIED = "unclassified"
LARGE_NUMBER = 1_000_000
SAMPLE_SCORE = 100.0
CORE_SAMPLE = {"code": "C000001", "name": "Sample customer", "parent": "C000000",
               "region": "Sample region", "city": "Sample city", "owner": "sample.rep",
               "status": "active"}


def sample_field(field: dict) -> Any:
    """A value of the field's type, as a profile stores it."""
    kind = field.get("type")
    options = [o["value"] for o in field.get("options", []) if isinstance(o, dict)]
    if kind in ("integer", "number"):
        value = field.get("max", LARGE_NUMBER)
        return int(value) if kind == "integer" else float(value)
    if kind == "boolean":
        return True
    if kind == "date":
        return "2024-12-31"
    if kind == "multiselect":
        return options or [f"Sample {field['key']}"]
    if kind == "select" and options:
        return options[0]
    return f"Sample {field['key']}"


def sample_context(workflow: dict, catalog: Catalog) -> dict[str, Any]:
    """``customer``, ``segment``, ``previous_segment`` and ``scores`` for one sample customer."""
    ruleset = catalog.get("ruleset", workflow.get("ruleset", ""))
    content = ruleset.content if ruleset is not None else {}
    types = content.get("applies_to", [])
    customer: dict[str, Any] = {}
    for form in catalog.forms_for(types):
        for field in form.content.get("fields", []):
            if isinstance(field, dict) and "key" in field:
                customer.setdefault(field["key"], sample_field(field))
    customer.update(CORE_SAMPLE, type=types[0] if types else "sample")
    names = [*content.get("metrics", {}), *content.get("axes", {})]
    segments = segment_ids(content) if content else []
    return {"customer": customer, "segment": segments[0] if segments else "sample",
            "previous_segment": UNCLASSIFIED, "scores": dict.fromkeys(names, SAMPLE_SCORE)}
