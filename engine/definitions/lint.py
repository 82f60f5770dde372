"""Lint of definitions: warnings beyond validity (issue 11, item 4).

The validator refuses what cannot run; the lint points at what runs but is probably not meant:
bands with gaps or overlaps, a map that misses option values (or values the data holds),
tiers that can never match, metrics computed but never scored, a ``visible_if`` that is never
true, an axis whose weights put more than 80 % on one item. Everything here is a pure
function of the parsed documents except the optional look at the data
(:func:`engine.definitions.lint_data.probe_maps`), made when a session is given. Documents
that do not pass their schema are skipped: their problems come first.
"""
from __future__ import annotations

from typing import Iterable

from engine.definitions.catalog import Catalog
from engine.definitions.documents import Document
from engine.definitions.lint_bands import lint_bands
from engine.definitions.lint_conditions import value_text
from engine.definitions.lint_warnings import (MESSAGES, LintWarning, make_warning, number,
                                              quoted, sort_warnings)
from engine.definitions.lint_when import lint_tiers, lint_visible_if
from engine.definitions.schema_check import schema_problems
from engine.expr import names_in, parse
from engine.errors import ExpressionError

__all__ = ["MESSAGES", "LintWarning", "lint_data", "lint_documents", "reads_data"]

DOMINANT_SHARE = 0.8
WHOLE_AGGREGATES = ("count", "count_distinct")


def lint_documents(docs: Iterable[Document], session=None,
                   context: Iterable[Document] = ()) -> list[LintWarning]:
    """Every warning about ``docs`` (references resolved against ``docs`` and ``context``,
    e.g. the published forms); with a ``session``, also the values the data holds that a
    map does not list. Sorted by file and line."""
    docs, catalog = _checked(docs, context)
    warnings: list[LintWarning] = []
    for doc in docs:
        if doc.kind == "ruleset":
            warnings += lint_ruleset(doc, catalog)
        elif doc.kind == "form":
            warnings += lint_visible_if(doc)
    if session is not None:
        warnings += lint_data(docs, session, context)
    return sort_warnings(warnings)


def lint_data(docs: Iterable[Document], session, context: Iterable[Document] = ()):
    """Only the warnings that come from the data (one ``GROUP BY`` per map score): the slow
    part of :func:`lint_documents`, for a caller that shows it later."""
    from engine.definitions.lint_data import probe_maps   # SQL and evaluation: only here

    docs, catalog = _checked(docs, context)
    return sort_warnings(w for doc in docs if doc.kind == "ruleset"
                         for w in probe_maps(session, doc, catalog))


def reads_data(doc: Document) -> bool:
    """Whether :func:`lint_data` has anything to look up for ``doc``: a ruleset map score."""
    axes = doc.content.get("axes") if doc.kind == "ruleset" and isinstance(doc.content, dict) \
        else None
    return isinstance(axes, dict) and any(
        isinstance(item, dict) and isinstance(item.get("score"), dict) and "map" in item["score"]
        for axis in axes.values() if isinstance(axis, dict) for item in axis.get("items", []))


def _checked(docs, context) -> tuple[list[Document], Catalog]:
    """The documents that pass their schema, and the catalog their references resolve in."""
    docs = list(docs)
    ours = {d.key for d in docs}
    catalog = Catalog.of([*docs, *(d for d in context if d.key not in ours)])
    return [d for d in docs if isinstance(d.content, dict) and not schema_problems(d)], catalog


def lint_ruleset(doc: Document, catalog: Catalog) -> list[LintWarning]:
    """The warnings a ruleset's text alone gives (no data)."""
    metrics = doc.content.get("metrics", {})
    forms = catalog.forms_for(doc.content.get("applies_to"))
    warnings: list[LintWarning] = []
    for axis_id, axis in doc.content.get("axes", {}).items():
        items = axis.get("items", [])
        warnings += _dominant_item(doc, axis_id, items)
        for i, item in enumerate(items):
            path = ("axes", axis_id, "items", i, "score")
            score, spec = item["score"], metrics.get(item["metric"], {})
            if isinstance(score, dict) and "bands" in score:
                warnings += lint_bands(doc, path, score, _whole(spec, forms))
            elif isinstance(score, dict) and "map" in score:
                warnings += _map_options(doc, path, score, spec, forms)
    warnings += _unused_metrics(doc)
    warnings += lint_tiers(doc)
    return warnings


def _form_fields(key: str, forms: list[Document]) -> list[dict]:
    return [f for form in forms for f in form.content.get("fields", []) if f.get("key") == key]


def _whole(spec: dict, forms: list[Document]) -> bool:
    """Whether the metric only takes whole numbers (counts, integer fields)."""
    if spec.get("aggregate") in WHOLE_AGGREGATES:
        return True
    fields = _form_fields(spec["field"], forms) if "field" in spec else []
    return bool(fields) and all(f.get("type") == "integer" for f in fields)


def _map_options(doc, path, score, spec, forms) -> list[LintWarning]:
    """Options the map forgets; an explicit ``else`` is taken as the admin's choice for
    the options not listed."""
    if "field" not in spec or "else" in score:
        return []
    options: dict[str, None] = {}
    for field in _form_fields(spec["field"], forms):
        if field.get("type") == "select":
            options.update((value_text(o["value"]), None) for o in field.get("options", []))
        elif field.get("type") == "boolean":
            options.update({"true": None, "false": None})
    missing = [o for o in options if o not in score["map"]]
    if not missing:
        return []
    return [make_warning(doc, path + ("map",), "map_missing_option",
                         values=", ".join(quoted(m) for m in missing),
                         field=quoted(spec["field"]), points=number(score.get("else", 0)))]


def _dominant_item(doc, axis_id: str, items: list) -> list[LintWarning]:
    total = sum(float(item["weight"]) for item in items)
    if len(items) < 2 or total <= 0:
        return []
    return [make_warning(doc, ("axes", axis_id, "items", i, "weight"), "axis_dominant_item",
                         metric=quoted(item["metric"]), axis=quoted(axis_id),
                         share=number(round(100 * float(item["weight"]) / total, 1)))
            for i, item in enumerate(items)
            if float(item["weight"]) / total > DOMINANT_SHARE]


def _names(text) -> frozenset:
    try:
        return names_in(parse(text))
    except ExpressionError:
        return frozenset()


def _unused_metrics(doc) -> list[LintWarning]:
    metrics = doc.content.get("metrics", {})
    uses = {m: _names(s["formula"]) & set(metrics) if "formula" in s else frozenset()
            for m, s in metrics.items()}
    wanted = [item["metric"] for axis in doc.content.get("axes", {}).values()
              for item in axis.get("items", [])]
    for tier in doc.content.get("classification", {}).get("tiers", []):
        wanted += sorted(_names(tier.get("when", "true")))
    scored, stack = set(), [m for m in wanted if m in metrics]
    while stack:
        metric = stack.pop()
        if metric not in scored:
            scored.add(metric)
            stack += uses[metric]
    warnings = []
    for metric in metrics:
        if metric in scored:
            continue
        users = [m for m, named in uses.items() if metric in named and m != metric]
        code = "metric_unused_chain" if users else "metric_unused"
        warnings.append(make_warning(doc, ("metrics", metric), code, at_key=True,
                                     metric=quoted(metric),
                                     users=", ".join(quoted(u) for u in users)))
    return warnings
