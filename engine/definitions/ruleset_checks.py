"""Cross-reference and semantic checks of a ruleset (SPEC §3.2, §3.5)."""
from __future__ import annotations

from datetime import timezone

from engine.definitions.catalog import Catalog, check_expression
from engine.definitions.documents import Document, did_you_mean
from engine.definitions.metric_checks import MetricTypes
from engine.definitions.yamlsafe import json_path
from engine.errors import InvalidInput, Problem
from engine.expr import BOOLEAN, NUMBER
from engine.scheduler.schedules import parse_schedule

RESERVED_SEGMENTS = {"unclassified"}
NUMERIC_SCORES = ("percentile", "bands", "linear")
MAX_METRICS = 500


def check_ruleset(doc: Document, catalog: Catalog) -> list[Problem]:
    problems: list[Problem] = []
    count = len(doc.content.get("metrics", {}))
    if count > MAX_METRICS:
        # Each metric is a column (an average two) of one query per fact table: PostgreSQL
        # allows 1,664 columns and SQLite 2,000, so the limit holds on both with room.
        return [doc.problem(("metrics",), f"a ruleset has at most {MAX_METRICS} metrics; this "
                                          f"one has {count}")]
    metrics = MetricTypes(doc, catalog, problems)
    types = metrics.resolve()
    _check_axes(doc, types, problems)
    _check_classification(doc, types, metrics.profile_fields, problems)
    _check_schedule(doc, problems)
    return problems


def _check_schedule(doc: Document, problems: list[Problem]) -> None:
    """The schedule as the scheduler will read it (``61 25 * * 9`` fits the schema's shape)."""
    schedule = doc.content.get("schedule")
    if not schedule:
        return
    try:
        parse_schedule(schedule, timezone.utc)
    except InvalidInput as exc:
        problems.extend(doc.problem(("schedule",), p.message) for p in exc.problems)


def _score_kind(score) -> str:
    return score if isinstance(score, str) else next(iter(score))


def _check_axes(doc: Document, types: dict, problems: list[Problem]) -> None:
    scored: dict[str, tuple] = {}
    for axis_id, axis in doc.content.get("axes", {}).items():
        if axis_id in types:
            problems.append(doc.problem(("axes", axis_id), f"axis {axis_id!r} has the id of a "
                                                           "metric; ids must differ"))
        for i, item in enumerate(axis.get("items", [])):
            _check_item(doc, ("axes", axis_id, "items", i), item, types, scored, problems)


def _check_item(doc, path, item, types, scored, problems) -> None:
    metric = item["metric"]
    if metric not in types:
        problems.append(doc.problem(path + ("metric",), f"unknown metric {metric!r}"
                                                        f"{did_you_mean(metric, types)}"))
        return
    if metric in scored:
        problems.append(doc.problem(path + ("metric",), f"metric {metric!r} is already scored "
                                                        "at " + _at(scored[metric])))
        return
    scored[metric] = path
    score = item["score"]
    kind = _score_kind(score)
    typ = types[metric]
    if kind in NUMERIC_SCORES and typ is not None and typ.kind not in ("number", "decimal"):
        problems.append(doc.problem(path + ("score",), f"{kind} scores numbers; metric "
                                                       f"{metric!r} is {typ.kind}"))
    if kind == "linear" and score["linear"]["from"] == score["linear"]["to"]:
        problems.append(doc.problem(path + ("score", "linear"), "linear needs from != to"))
    if kind == "bands":
        for j, band in enumerate(score["bands"]):
            if "min" in band and "max" in band and band["min"] > band["max"]:
                problems.append(doc.problem(path + ("score", "bands", j), "band min is above "
                                                                          "its max"))


def _at(path: tuple) -> str:
    return json_path(path)


def segment_ids(content: dict) -> list[str]:
    """The segment ids a ruleset classifies into, in definition order."""
    classification = content.get("classification", {})
    if "tiers" in classification:
        return [t["id"] for t in classification["tiers"] if isinstance(t, dict) and "id" in t]
    return list(classification.get("segments", {}))


def segment_labels(content: dict) -> dict[str, object]:
    """Segment id → its label (text or a locale map) as the ruleset gives it."""
    classification = content.get("classification", {})
    if "tiers" in classification:
        return {t["id"]: t.get("label") for t in classification["tiers"]
                if isinstance(t, dict) and "id" in t}
    return {key: value.get("label") for key, value in classification.get("segments", {}).items()
            if isinstance(value, dict)}


def _check_classification(doc, types, profile_fields, problems) -> None:
    classification = doc.content["classification"]
    axes = list(doc.content.get("axes", {}))
    for path, seg in _segment_paths(classification):
        if seg in RESERVED_SEGMENTS:
            problems.append(doc.problem(path, f"segment id {seg!r} is reserved"))
    if "tiers" in classification:
        _check_tiers(doc, classification, axes, types, problems)
    else:
        _check_quadrant(doc, classification, axes, profile_fields, problems)


def _segment_paths(classification):
    if "tiers" in classification:
        return [(("classification", "tiers", i, "id"), t["id"])
                for i, t in enumerate(classification["tiers"])]
    return [(("classification", "segments", s), s) for s in classification.get("segments", {})]


def _check_tiers(doc, classification, axes, types, problems) -> None:
    tiers = classification["tiers"]
    env = {a: NUMBER for a in axes} | {m: t for m, t in types.items() if t is not None}
    seen: set[str] = set()
    for i, tier in enumerate(tiers):
        path = ("classification", "tiers", i)
        if tier["id"] in seen:
            problems.append(doc.problem(path + ("id",), f"duplicate tier id {tier['id']!r}"))
        seen.add(tier["id"])
        last = i == len(tiers) - 1
        if last and "when" in tier:
            problems.append(doc.problem(path + ("when",), "the last tier takes every remaining "
                                                          "customer and must not have 'when'"))
        elif not last and "when" not in tier:
            problems.append(doc.problem(path, "only the last tier may omit 'when'"))
        if "when" in tier:
            check_expression(doc, path + ("when",), tier["when"], env, problems, expect=BOOLEAN)
    for key in ("stability_margin", "split_within"):
        if key in classification:
            problems.append(doc.problem(("classification", key), f"{key} applies to quadrants "
                                                                 "only"))


def _check_quadrant(doc, classification, axes, profile_fields, problems) -> None:
    quadrant = classification["quadrant"]
    x, y = quadrant["x"], quadrant["y"]
    for key, axis in (("x", x), ("y", y)):
        if axis not in axes:
            problems.append(doc.problem(("classification", "quadrant", key),
                                        f"unknown axis {axis!r}{did_you_mean(axis, axes)}"))
    if x == y:
        problems.append(doc.problem(("classification", "quadrant", "y"), "x and y must be two "
                                                                         "different axes"))
    split = quadrant.get("split", "median")
    if isinstance(split, dict):
        for axis in split:
            if axis not in (x, y):
                problems.append(doc.problem(("classification", "quadrant", "split", axis),
                                            f"split names {axis!r}, which is not x or y"))
    _check_quadrant_segments(doc, classification.get("segments", {}), (x, y), problems)
    within = classification.get("split_within")
    if within and within not in profile_fields:
        problems.append(doc.problem(("classification", "split_within"),
                                    f"unknown field {within!r}{did_you_mean(within, profile_fields)}"))


def _check_quadrant_segments(doc, segments, axes, problems) -> None:
    seen: dict[tuple, str] = {}
    for seg, spec in segments.items():
        path = ("classification", "segments", seg)
        for key in spec:
            if key not in axes and key not in ("label", "color"):
                problems.append(doc.problem(path + (key,), f"{key!r} is not an axis of the "
                                                           f"quadrant ({axes[0]}, {axes[1]})"))
        missing = [a for a in axes if a not in spec]
        if missing:
            problems.append(doc.problem(path, f"segment {seg!r} must say high or low for "
                                              f"{' and '.join(missing)}"))
            continue
        corner = tuple(spec[a] for a in axes)
        if corner in seen:
            problems.append(doc.problem(path, f"segment {seg!r} covers the same quadrant as "
                                              f"{seen[corner]!r}"))
        seen[corner] = seg
    if len(segments) != 4 or len(seen) != 4:
        problems.append(doc.problem(("classification", "segments"), "a quadrant needs four "
                                    "segments covering high/low of both axes once each"))
