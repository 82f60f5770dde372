"""Immutable spec objects of a ruleset: metrics, scores, axes, classification."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from engine.definitions.specs import LocalText, frozen_map
from engine.facts import FACT_COLUMNS


@dataclass(frozen=True)
class FieldMetric:
    id: str
    field: str


@dataclass(frozen=True)
class AggregateMetric:
    id: str
    function: str
    of: str
    where: str | None
    window_months: int
    offset_months: int = 0

    @property
    def counts_rows(self) -> bool:
        return self.of.strip() in FACT_COLUMNS


@dataclass(frozen=True)
class FormulaMetric:
    id: str
    formula: str


@dataclass(frozen=True)
class Band:
    min: float | None
    max: float | None
    points: float


@dataclass(frozen=True)
class PercentileScore:
    descending: bool = False


@dataclass(frozen=True)
class BandsScore:
    bands: tuple[Band, ...]
    otherwise: float = 0


@dataclass(frozen=True)
class MapScore:
    points: Mapping[str, float]
    otherwise: float = 0


@dataclass(frozen=True)
class LinearScore:
    start: float
    end: float


@dataclass(frozen=True)
class AxisItem:
    metric: str
    weight: float
    score: object
    missing: float = 0


@dataclass(frozen=True)
class Axis:
    id: str
    label: LocalText
    items: tuple[AxisItem, ...]


@dataclass(frozen=True)
class Segment:
    id: str
    label: LocalText
    color: str | None
    sides: Mapping[str, str] | None = None   # quadrant: axis → 'high' | 'low'
    when: str | None = None                  # tiers


@dataclass(frozen=True)
class Quadrant:
    x: str
    y: str
    splits: Mapping[str, object]             # axis → 'median' | 'mean' | 'pNN' | number
    segments: tuple[Segment, ...]
    stability_margin: float = 0
    split_within: str | None = None


@dataclass(frozen=True)
class Tiers:
    segments: tuple[Segment, ...]


@dataclass(frozen=True)
class RulesetSpec:
    id: str
    title: LocalText
    applies_to: tuple[str, ...]
    window_months: int
    schedule: str | None
    metrics: tuple                            # definition order matters (exports)
    axes: tuple[Axis, ...]
    classification: Quadrant | Tiers
    version_id: int | None = None

    @property
    def segments(self) -> tuple[Segment, ...]:
        return self.classification.segments

    def metric(self, metric_id: str):
        return next((m for m in self.metrics if m.id == metric_id), None)


def _metric(metric_id: str, spec: dict, default_months: int):
    if "field" in spec:
        return FieldMetric(metric_id, spec["field"])
    if "formula" in spec:
        return FormulaMetric(metric_id, spec["formula"])
    window = spec.get("window", {})
    return AggregateMetric(metric_id, spec["aggregate"], spec["of"], spec.get("where"),
                           window.get("months", default_months), window.get("offset_months", 0))


def _score(spec):
    if spec == "percentile":
        return PercentileScore()
    if "percentile" in spec:
        return PercentileScore(descending=spec["percentile"] == "desc")
    if "bands" in spec:
        return BandsScore(tuple(Band(b.get("min"), b.get("max"), b["points"])
                                for b in spec["bands"]), spec.get("else", 0))
    if "map" in spec:
        return MapScore(frozen_map(spec["map"]), spec.get("else", 0))
    return LinearScore(spec["linear"]["from"], spec["linear"]["to"])


def _axis(axis_id: str, spec: dict) -> Axis:
    items = tuple(AxisItem(i["metric"], i["weight"], _score(i["score"]), i.get("missing", 0))
                  for i in spec["items"])
    return Axis(axis_id, LocalText.of(spec["label"]), items)


def _classification(spec: dict):
    if "tiers" in spec:
        return Tiers(tuple(Segment(t["id"], LocalText.of(t["label"]), t.get("color"),
                                   when=t.get("when")) for t in spec["tiers"]))
    quadrant = spec["quadrant"]
    axes = (quadrant["x"], quadrant["y"])
    split = quadrant.get("split", "median")
    splits = {a: (split.get(a, "median") if isinstance(split, dict) else split) for a in axes}
    segments = tuple(Segment(seg, LocalText.of(s["label"]), s.get("color"),
                             sides=frozen_map({a: s[a] for a in axes}))
                     for seg, s in spec["segments"].items())
    return Quadrant(quadrant["x"], quadrant["y"], frozen_map(splits), segments,
                    spec.get("stability_margin", 0), spec.get("split_within"))


def build_ruleset(content: dict, version_id: int | None = None) -> RulesetSpec:
    months = content["window"]["months"]
    return RulesetSpec(
        id=content["id"], title=LocalText.of(content["title"]),
        applies_to=tuple(content["applies_to"]), window_months=months,
        schedule=content.get("schedule"),
        metrics=tuple(_metric(m, s, months) for m, s in content["metrics"].items()),
        axes=tuple(_axis(a, s) for a, s in content["axes"].items()),
        classification=_classification(content["classification"]), version_id=version_id)
