"""What an admin should look at before trusting a run (SPEC §4): a split with more than a
quarter of the customers exactly on it, a metric null for more than half of them, an empty
segment."""
from __future__ import annotations

from typing import Mapping

from engine.definitions.ruleset_specs import RulesetSpec

from .classify import Classification
from .vectors import Vec


def run_warnings(spec: RulesetSpec, metrics: Mapping[str, Vec],
                 classification: Classification, counts: Mapping[str, int]) -> list[dict]:
    """Warnings as JSON-ready records, each with a ``kind`` and a readable ``message``."""
    size = sum(counts.values())
    found = []
    for axis, on_split in classification.on_split.items():
        if 4 * on_split > size:
            rule = classification.splits[axis]["rule"]
            found.append({
                "kind": "crowded_split", "axis": axis, "split": rule, "customers": on_split,
                "of": size,
                "message": f"{on_split} of {size} customers score exactly on the {rule} split "
                           f"of axis {axis!r}; consider mean or pNN"})
    for metric_id, values in metrics.items():
        nulls = int(values.null.sum())
        if 2 * nulls > size:
            found.append({
                "kind": "mostly_null_metric", "metric": metric_id, "customers": nulls,
                "of": size,
                "message": f"metric {metric_id!r} is null for {nulls} of {size} customers"})
    for segment in spec.segments:
        if counts.get(segment.id, 0) == 0:
            found.append({"kind": "empty_segment", "segment": segment.id,
                          "message": f"segment {segment.id!r} has no customers"})
    return found
