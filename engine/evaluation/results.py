"""A computed run held in memory: per-customer vectors, the run summary, and the JSON
records that are stored per customer (``CustomerScore``).

A stored score row holds ``axes`` (axis id → score), ``metrics`` (metric id →
``{"value": v}``, plus ``"points"`` and ``"weight"`` for scored metrics; dates as
``YYYY-MM-DD``) and, for quadrants, ``sides`` (axis id → ``high``/``low``, plus the key
``@group`` holding the ``split_within`` group; ``@`` cannot start an id).
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterator

import numpy as np

from engine.models import UNCLASSIFIED

from .classify import Classification
from .loading import LoadedRuleset
from .scope import Population
from .scoring import Scores
from .vectors import Vec

GROUP_KEY = "@group"


@dataclass
class RunResult:
    """Everything one evaluation computed; ``run_id`` is set once it is stored."""

    ruleset: LoadedRuleset
    as_of: dt.date
    trigger: str
    dry_run: bool
    population: Population
    metrics: dict[str, Vec]
    scores: Scores
    classification: Classification
    previous_run_id: int | None
    previous_segments: np.ndarray
    effective_segments: np.ndarray
    left_scope: dict[int, str | None]
    started_at: dt.datetime
    timings: dict[str, float] = field(default_factory=dict)
    warnings: list[dict] = field(default_factory=list)
    run_id: int | None = None

    @property
    def ruleset_id(self) -> str:
        return self.ruleset.spec.id

    @property
    def segments(self) -> np.ndarray:
        return self.classification.segments

    @property
    def splits(self) -> dict:
        return self.classification.splits

    def segment_counts(self, effective: bool = False) -> dict[str, int]:
        """segment → customers, every segment of the ruleset listed (in its order)."""
        found = Counter((self.effective_segments if effective else self.segments).tolist())
        counts = {s.id: found.pop(s.id, 0) for s in self.ruleset.spec.segments}
        return counts | dict(sorted(found.items()))

    @property
    def counts(self) -> dict[str, Any]:
        overridden = int(np.sum(self.effective_segments != self.segments))
        return {"customers": len(self.population), "segments": self.segment_counts(),
                "effective_segments": self.segment_counts(effective=True),
                "overridden": overridden,
                "new": int(sum(1 for p in self.previous_segments.tolist() if p is None)),
                "left_scope": len(self.left_scope)}

    @property
    def migration(self) -> dict[str, Any]:
        """The migration matrix from the previous run: from → to → customers.

        Customers new to the scope come from ``unclassified``; those that left it go to it.
        """
        moves = Counter(zip([p or UNCLASSIFIED for p in self.previous_segments.tolist()],
                            self.segments.tolist()))
        moves.update((p or UNCLASSIFIED, UNCLASSIFIED) for p in self.left_scope.values())
        matrix: dict[str, dict[str, int]] = {}
        for (before, after), count in sorted(moves.items()):
            matrix.setdefault(before, {})[after] = count
        return {"previous_run": self.previous_run_id, "matrix": matrix}

    def index_of(self, customer_code: str) -> int | None:
        """The position of a customer in this run's vectors, or None when out of scope."""
        hits = np.flatnonzero(self.population.codes == customer_code)
        return int(hits[0]) if len(hits) else None

    def records(self, start: int = 0, stop: int | None = None) -> Iterator[dict[str, Any]]:
        """The stored row of each customer from ``start`` to ``stop``."""
        stop = len(self.population) if stop is None else stop
        part = slice(start, stop)
        metric_columns = []
        weights = {item.metric: float(item.weight) for axis in self.ruleset.spec.axes
                   for item in axis.items}
        for metric_id, values in self.metrics.items():
            points = self.scores.points.get(metric_id)
            metric_columns.append((metric_id, json_values(values, part),
                                   None if points is None else points.points[part].tolist(),
                                   weights.get(metric_id)))
        axes = [(axis_id, scores[part].tolist()) for axis_id, scores in self.scores.axes.items()]
        sides = self._sides(part)
        columns = zip(self.population.ids[part].tolist(), self.segments[part].tolist(),
                      self.previous_segments[part].tolist(),
                      self.effective_segments[part].tolist())
        for row, (customer_id, segment, previous, effective) in enumerate(columns):
            metrics = {}
            for metric_id, values, points, weight in metric_columns:
                metrics[metric_id] = ({"value": values[row]} if points is None else
                                      {"value": values[row], "points": points[row],
                                       "weight": weight})
            yield {"customer_id": customer_id, "segment": segment,
                   "previous_segment": previous, "effective_segment": effective,
                   "axes": {axis_id: scores[row] for axis_id, scores in axes},
                   "metrics": metrics, "sides": sides[row] if sides else None}

    def _sides(self, part: slice) -> list[dict] | None:
        sides = self.classification.sides
        if sides is None:
            return None
        columns = [(axis, np.where(high[part], "high", "low").tolist())
                   for axis, high in sides.items()]
        records = [dict(zip((a for a, _ in columns), values))
                   for values in zip(*(v for _, v in columns))]
        if self.classification.groups is not None:
            for record, group in zip(records, self.classification.groups[part].tolist()):
                record[GROUP_KEY] = group
        return records


def json_values(values: Vec, part: slice = slice(None)) -> list[Any]:
    """A vector's values as JSON-ready Python values (dates as ``YYYY-MM-DD``)."""
    items = values.take(np.arange(len(values))[part]).to_python()
    if values.kind == "date":
        return [None if v is None else v.isoformat() for v in items]
    return items
