"""The preview of a draft ruleset or workflow on current data (issue 11 item 5), computed in
memory and returned as one JSON-ready record; nothing is stored.

A ruleset draft is evaluated as a dry run beside a dry run of the published version (same
data, same ``as_of``); the record holds the segment counts of both, the migration matrix
published → draft with the customers who would move (old and new axis scores, and the axis
item whose contribution changed most), the tasks the ruleset's workflows would create and
cancel for each classification, the run warnings of the draft, a histogram of each axis with
its split, and the golden customers the draft breaks. A workflow draft is played against a dry
run of its published ruleset, beside the published workflow.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from time import perf_counter
from types import SimpleNamespace
from typing import Any, Callable, Mapping, Sequence

import numpy as np
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from engine.definitions import golden, store
from engine.definitions.published import published_specs
from engine.definitions.workflow_specs import WorkflowSpec, build_workflow
from engine.errors import Conflict, NotFound
from engine.models import UNCLASSIFIED, Definition, DefinitionVersion, utcnow

from .preview_tasks import Classified, Customers, tally_tasks

Progress = Callable[[int, str], None]
MOVER_ROWS = 500          # customers kept per cell of the migration matrix (by code)
BIN_WIDTH = 5             # histogram bins of axis scores (0–100)


def _quiet(_percent: int, _message: str) -> None:
    return None


# --- entry points ------------------------------------------------------------------------------

def preview_ruleset(engine: Engine, ruleset_id: str, version: int | None = None,
                    as_of: dt.date | None = None, progress: Progress = _quiet,
                    trigger: str = "cli") -> dict[str, Any]:
    """The preview of version ``version`` (default: the latest) of ``ruleset_id``."""
    from engine.evaluation import evaluate

    clock = perf_counter()
    with Session(engine) as session:
        definition = store.get_definition(session, "ruleset", ruleset_id)
        latest = store.latest_version(session, definition)
        version = version if version is not None else latest.number
        published = store.published_version(session, definition)
    progress(5, "evaluating the draft (dry run)")
    draft = evaluate(engine, ruleset_id, as_of=as_of, dry_run=True, version=version,
                     trigger=trigger)
    base = None
    if published is not None:
        progress(40, "evaluating the published version (dry run)")
        base = evaluate(engine, ruleset_id, as_of=draft.as_of, dry_run=True, trigger=trigger)
    with Session(engine) as session:
        workflows = [s for s in published_specs(session, "workflow") if s.ruleset == ruleset_id]
    record = compare_runs(engine, draft, base, workflows, workflows, progress)
    record.update(kind="ruleset", id=ruleset_id, version=version,
                  published_version=published.number if published else None)
    record["timings"]["total"] = perf_counter() - clock
    progress(100, "done")
    return record


def preview_workflow(engine: Engine, workflow_id: str, version: int | None = None,
                     as_of: dt.date | None = None, progress: Progress = _quiet,
                     trigger: str = "cli") -> dict[str, Any]:
    """The preview of version ``version`` (default: the latest) of ``workflow_id`` against a
    dry run of its published ruleset, beside the published workflow."""
    with Session(engine) as session:
        definition = store.get_definition(session, "workflow", workflow_id)
        chosen = (store.latest_version(session, definition) if version is None
                  else store.get_version(session, definition, version))
        published = store.published_version(session, definition)
        draft = build_workflow(chosen.content, chosen.id)
        base = build_workflow(published.content, published.id) if published else None
    record = preview_workflow_spec(engine, draft, base, as_of, progress, trigger)
    record.update(version=chosen.number,
                  published_version=published.number if published else None)
    return record


def preview_workflow_spec(engine: Engine, draft: WorkflowSpec, base: WorkflowSpec | None,
                          as_of: dt.date | None = None, progress: Progress = _quiet,
                          trigger: str = "cli") -> dict[str, Any]:
    """A workflow spec (saved or not) against a dry run of its published ruleset."""
    from engine.evaluation import evaluate

    clock = perf_counter()
    progress(5, "evaluating the published ruleset (dry run)")
    try:
        run = evaluate(engine, draft.ruleset, as_of=as_of, dry_run=True, trigger=trigger)
    except NotFound:
        raise Conflict(f"workflow {draft.id!r} follows ruleset {draft.ruleset!r}, which is "
                       "not published: there is no classification to preview it on") from None
    record = compare_runs(engine, run, run, [draft], [base] if base else [], progress,
                          classification_changes=False)
    record.update(kind="workflow", id=draft.id, ruleset=draft.ruleset)
    record["timings"]["total"] = perf_counter() - clock
    progress(100, "done")
    return record


def preview_loaded_ruleset(engine: Engine, loaded, workflows: Sequence[WorkflowSpec],
                           as_of: dt.date | None = None, progress: Progress = _quiet,
                           trigger: str = "cli") -> dict[str, Any]:
    """A ruleset not stored (a pack's, before import) against its published version, with the
    workflows it would have."""
    from engine.evaluation import evaluate
    from engine.evaluation.runner import compute, today

    clock = perf_counter()
    as_of = as_of or today()
    progress(5, "evaluating the new version (dry run)")
    with engine.connect() as connection:
        draft = compute(connection, loaded, as_of, trigger, True, utcnow(), clock)
    spec_id = loaded.spec.id
    with Session(engine) as session:
        definition = store.find_definition(session, "ruleset", spec_id)
        published = store.published_version(session, definition) if definition else None
        current = [s for s in published_specs(session, "workflow") if s.ruleset == spec_id]
    base = None
    if published is not None:
        progress(40, "evaluating the published version (dry run)")
        base = evaluate(engine, spec_id, as_of=as_of, dry_run=True, trigger=trigger)
    record = compare_runs(engine, draft, base, workflows, current, progress)
    record.update(kind="ruleset", id=spec_id, version=None,
                  published_version=published.number if published else None)
    record["timings"]["total"] = perf_counter() - clock
    return record


def unsaved_version(content: dict) -> SimpleNamespace:
    """What ``build_loaded`` reads of a stored version, for content not stored."""
    return SimpleNamespace(id=None, number=0, content=content)


# --- the comparison --------------------------------------------------------------------------

@dataclass(frozen=True)
class Aligned:
    """Draft and published results over the union of their customers (by id)."""

    ids: np.ndarray
    draft_at: np.ndarray       # position in the draft's vectors, -1 when not in its scope
    base_at: np.ndarray
    draft_segments: np.ndarray
    base_segments: np.ndarray


def _positions(union: np.ndarray, ids: np.ndarray) -> np.ndarray:
    if len(ids) == 0:
        return np.full(len(union), -1)
    at = np.searchsorted(ids, union).clip(max=len(ids) - 1)
    return np.where(ids[at] == union, at, -1)


def _segments_at(segments: np.ndarray, at: np.ndarray) -> np.ndarray:
    out = np.full(len(at), UNCLASSIFIED, dtype=object)
    inside = at >= 0
    out[inside] = segments[at[inside]]
    return out


def align(draft, base) -> Aligned:
    draft_ids = draft.population.ids
    base_ids = base.population.ids if base is not None else np.array([], dtype=np.int64)
    union = np.union1d(draft_ids, base_ids)
    draft_at, base_at = _positions(union, draft_ids), _positions(union, base_ids)
    base_segments = (_segments_at(base.segments, base_at) if base is not None
                     else np.full(len(union), UNCLASSIFIED, dtype=object))
    return Aligned(union, draft_at, base_at, _segments_at(draft.segments, draft_at),
                   base_segments)


def compare_runs(engine: Engine, draft, base, draft_workflows: Sequence[WorkflowSpec],
                 base_workflows: Sequence[WorkflowSpec], progress: Progress = _quiet,
                 classification_changes: bool = True) -> dict[str, Any]:
    """The preview record of ``draft`` (a dry-run result) against ``base`` (the published
    version's, or None); ``classification_changes`` False when both are the same run."""
    clock = perf_counter()
    progress(70, "comparing")
    record: dict[str, Any] = {
        "as_of": draft.as_of.isoformat(), "ruleset": draft.ruleset_id,
        "segments": _segment_list(draft, base),
        "axes": [{"id": a.id, "label": dict(a.label.by_locale)} for a in draft.ruleset.spec.axes],
        "customers": {"draft": len(draft.population),
                      "published": len(base.population) if base is not None else None},
        "counts": {"draft": draft.segment_counts(),
                   "published": base.segment_counts() if base is not None else None},
        "warnings": draft.warnings,
        "histograms": histograms(draft, base if classification_changes else None),
        "timings": {"draft_run": draft.timings.get("total", draft.timings.get("compute", 0)),
                    "published_run": (base.timings.get("total", 0) if base is not None
                                      and classification_changes else 0)}}
    with Session(engine) as session:
        customers = Customers.load(session)
        if classification_changes:
            aligned = align(draft, base)
            record["matrix"] = matrix(aligned)
            record["movers"] = movers(draft, base, aligned, customers)
        progress(80, "playing the workflows")
        record["tasks"] = {
            "draft": tally_tasks(session, draft_workflows, _classified(draft), customers,
                                 draft.as_of),
            "published": (tally_tasks(session, base_workflows, _classified(base), customers,
                                      base.as_of) if base is not None and base_workflows
                          else None)}
        progress(95, "checking golden customers")
        record["golden"] = broken_golden(session, draft)
    record["timings"]["compare"] = perf_counter() - clock
    return record


def _segment_list(draft, base) -> list[dict[str, Any]]:
    """Segments of the draft in its order, then those only the published version has."""
    found, seen = [], set()
    for result in (draft, base):
        if result is None:
            continue
        for segment in result.ruleset.spec.segments:
            if segment.id not in seen:
                seen.add(segment.id)
                found.append({"id": segment.id, "label": dict(segment.label.by_locale),
                              "color": segment.color})
    return found


def _classified(result) -> Classified:
    spec = result.ruleset.spec
    return Classified(spec.id, tuple(s.id for s in spec.segments),
                      {s.id: dict(s.label.by_locale) for s in spec.segments},
                      result.population.ids, result.effective_segments)


def matrix(aligned: Aligned) -> dict[str, dict[str, int]]:
    """published segment → draft segment → customers (``unclassified``: out of scope)."""
    moves = Counter(zip(aligned.base_segments.tolist(), aligned.draft_segments.tolist()))
    result: dict[str, dict[str, int]] = {}
    for (before, after), count in sorted(moves.items()):
        result.setdefault(before, {})[after] = count
    return result


def contributions(result) -> dict[str, np.ndarray]:
    """``axis.metric`` → each customer's share of that axis' score from that item."""
    found = {}
    for axis in result.ruleset.spec.axes:
        total = sum(float(item.weight) for item in axis.items)
        for item in axis.items:
            points = result.scores.points[item.metric].points
            found[f"{axis.id}.{item.metric}"] = 10.0 * float(item.weight) * points / total
    return found


def _axes_at(result, at: np.ndarray) -> dict[str, list]:
    if result is None:
        return {}
    return {axis: np.where(at >= 0, scores[at.clip(min=0)], np.nan).tolist()
            for axis, scores in result.scores.axes.items()}


def movers(draft, base, aligned: Aligned, customers: Customers) -> dict[str, Any]:
    """Per ``from->to`` cell (from ≠ to): how many, and the first ``MOVER_ROWS`` customers by
    code with old and new axis scores and the item whose contribution changed most."""
    moved = np.flatnonzero(aligned.base_segments != aligned.draft_segments)
    if len(moved) == 0:
        return {}
    draft_at, base_at = aligned.draft_at[moved], aligned.base_at[moved]
    new_parts, old_parts = contributions(draft), contributions(base) if base is not None else {}
    keys = list(dict.fromkeys([*new_parts, *old_parts]))
    zero = np.zeros(len(moved))
    new = np.vstack([np.where(draft_at >= 0, new_parts[k][draft_at.clip(min=0)], 0.0)
                     if k in new_parts else zero for k in keys])
    old = np.vstack([np.where(base_at >= 0, old_parts[k][base_at.clip(min=0)], 0.0)
                     if k in old_parts else zero for k in keys])
    deciding = np.abs(np.nan_to_num(new - old)).argmax(axis=0)
    new_axes, old_axes = _axes_at(draft, draft_at), _axes_at(base, base_at)
    cells: dict[str, dict[str, Any]] = {}
    codes = [customers.code.get(i, "") for i in aligned.ids[moved].tolist()]
    for row in sorted(range(len(moved)), key=codes.__getitem__):
        key = f"{aligned.base_segments[moved[row]]}->{aligned.draft_segments[moved[row]]}"
        cell = cells.setdefault(key, {"total": 0, "rows": []})
        cell["total"] += 1
        if len(cell["rows"]) >= MOVER_ROWS:
            continue
        customer = int(aligned.ids[moved[row]])
        item = keys[deciding[row]]
        cell["rows"].append({
            "id": customer, "code": codes[row], "name": customers.name.get(customer, ""),
            "old": {a: _number(v[row]) for a, v in old_axes.items()},
            "new": {a: _number(v[row]) for a, v in new_axes.items()},
            "item": {"key": item, "old": _number(old[deciding[row], row]),
                     "new": _number(new[deciding[row], row])}})
    return cells


def _number(value) -> float | None:
    value = float(value)
    return None if np.isnan(value) else round(value, 3)


def histograms(draft, base) -> list[dict[str, Any]]:
    """Per axis of the draft: customers per score bin (draft and published) and the splits."""
    edges = np.arange(0, 100 + BIN_WIDTH, BIN_WIDTH, dtype=float)
    found = []
    for axis in draft.ruleset.spec.axes:
        entry = {"axis": axis.id, "label": dict(axis.label.by_locale),
                 "edges": edges.tolist(),
                 "draft": np.histogram(draft.scores.axes[axis.id], edges)[0].tolist(),
                 "split": _split_values(draft, axis.id)}
        if base is not None and axis.id in base.scores.axes:
            entry["published"] = np.histogram(base.scores.axes[axis.id], edges)[0].tolist()
            entry["published_split"] = _split_values(base, axis.id)
        found.append(entry)
    return found


def _split_values(result, axis: str) -> list[dict[str, Any]]:
    """The split of ``axis`` as ``{"group", "value"}`` records (one per ``split_within``
    group); none for tiers."""
    record = result.splits.get(axis)
    if not record:
        return []
    if "groups" in record:
        return [{"group": group, "value": value, "rule": record["rule"]}
                for group, value in record["groups"].items() if value is not None]
    if record.get("value") is None:
        return []
    return [{"group": None, "value": record["value"], "rule": record["rule"]}]


def broken_golden(session: Session, draft) -> list[dict[str, Any]]:
    segment_of = dict(zip(draft.population.ids.tolist(), draft.segments.tolist()))
    return [{"customer_id": b.customer_id, "customer_name": b.customer_name,
             "customer_code": getattr(b, "customer_code", ""), "note": getattr(b, "note", None),
             "expected": b.expected, "actual": b.actual}
            for b in golden.broken_expectations(session, draft.ruleset_id, segment_of)]


def segment_labels(record: Mapping[str, Any]) -> dict[str, dict]:
    return {s["id"]: s["label"] for s in record.get("segments", [])}


# --- a pack before import --------------------------------------------------------------------

def preview_pack(engine: Engine, location, as_of: dt.date | None = None,
                 progress: Progress = _quiet):
    """The import plan of the pack at ``location`` (checked as ``pack import`` checks it,
    nothing imported) and the preview of each ruleset and workflow it adds or changes, as the
    definitions would be after the import. A workflow whose ruleset the pack also changes is
    previewed with that ruleset."""
    from engine.definitions.validate import load_pack
    from engine.evaluation.loading import build_loaded
    from engine.packs import ADDED, CHANGED, import_pack

    plan = import_pack(engine, location, actor=None, dry_run=True)
    contents, _problems = load_pack(location)
    docs = {(d.kind, d.def_id): d for d in contents.definitions}
    touched = {(e.kind, e.def_id) for e in plan.entries if e.status in (ADDED, CHANGED)}
    records = []
    with Session(engine) as session:
        forms = _forms_after_import(session, [d for d in contents.definitions if d.kind == "form"])
        workflows = {s.id: s for s in published_specs(session, "workflow")}
        current = dict(workflows)
    workflows.update({d.def_id: build_workflow(d.content) for d in contents.definitions
                      if d.kind == "workflow"})
    for kind, def_id in sorted(touched):
        doc = docs[(kind, def_id)]
        if kind == "ruleset":
            loaded = build_loaded(unsaved_version(doc.content), forms, published=False)
            followers = [w for w in workflows.values() if w.ruleset == def_id]
            records.append(preview_loaded_ruleset(engine, loaded, followers, as_of, progress))
        elif kind == "workflow" and ("ruleset", doc.content["ruleset"]) not in touched:
            records.append(preview_workflow_spec(engine, workflows[def_id],
                                                 current.get(def_id), as_of, progress))
    return plan, records


def _forms_after_import(session: Session, pack_forms) -> list[tuple[int | None, dict]]:
    """(version id, content) of every form as it would be published after the import."""
    rows = session.execute(
        select(Definition.def_id, DefinitionVersion.id, DefinitionVersion.content)
        .join(DefinitionVersion, Definition.published_version_id == DefinitionVersion.id)
        .where(Definition.kind == "form"))
    forms = {def_id: (version_id, content) for def_id, version_id, content in rows}
    forms.update({doc.def_id: (None, doc.content) for doc in pack_forms})
    return [forms[key] for key in sorted(forms)]


def preview_draft(engine: Engine, ruleset_id: str, as_of: dt.date | None = None,
                  progress: Progress = _quiet) -> dict[str, Any]:
    """The preview of the latest version of ``ruleset_id``, which must be a draft (newer than
    the published version)."""
    with Session(engine) as session:
        definition = store.get_definition(session, "ruleset", ruleset_id)
        latest = store.latest_version(session, definition)
        published = store.published_version(session, definition)
    if latest is None or (published is not None and latest.number <= published.number):
        number = published.number if published is not None else None
        raise Conflict(f"ruleset {ruleset_id!r} has no draft: its latest version {number} is "
                       "the published one (save a draft in the studio first)")
    return preview_ruleset(engine, ruleset_id, latest.number, as_of, progress)
