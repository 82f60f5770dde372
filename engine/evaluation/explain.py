"""Why a customer has its segment: per metric the raw value, the band or map entry matched,
points, weight and contribution; per axis the score and the split it was compared with."""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Mapping

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from engine.customers.merged import merge_note
from engine.definitions.ruleset_specs import (AxisItem, BandsScore, LinearScore, MapScore,
                                              PercentileScore, Quadrant, RulesetSpec)
from engine.errors import NotFound
from engine.expr import NUMBER, compile_python, parse
from engine.expr.rounding import round_half_away
from engine.models import Customer, CustomerScore, EvaluationRun

from .loading import LoadedRuleset, load_version
from .points import MISSING, NO_MATCH, SCORE_FUNCTIONS, score_name
from .results import GROUP_KEY, RunResult
from .stored import find_run
from .vector_expr import kind_of
from .vectors import Vec, value_text


@dataclass(frozen=True)
class ItemExplanation:
    metric: str
    value: Any
    score: str            # percentile, bands, map, linear
    matched: str          # the band, map entry or rule that gave the points
    points: float
    weight: float
    contribution: float   # the item's share of the axis score: 10 × w × p / Σw


@dataclass(frozen=True)
class AxisExplanation:
    axis: str
    label: str
    score: float
    items: list[ItemExplanation]
    split: dict | None = None   # quadrant: rule, value, group, margin, previous and new side


@dataclass(frozen=True)
class Explanation:
    customer_code: str
    ruleset_id: str
    run_id: int | None
    as_of: dt.date
    segment: str
    previous_segment: str | None
    effective_segment: str
    axes: list[AxisExplanation]
    metrics: dict[str, Any]
    tiers: list[dict] = field(default_factory=list)   # tiers: id, when, holds — in order
    merged: str | None = None   # "D1 was merged into K1 on …" for a customer merged since

    def to_dict(self) -> dict:
        return asdict(self)

    def lines(self) -> list[str]:
        """The explanation as text for the command line."""
        run = f"run {self.run_id}" if self.run_id is not None else "dry run"
        out = [f"{self.customer_code}: {self.segment} ({self.ruleset_id}, {run}, as of "
               f"{self.as_of.isoformat()})"]
        if self.merged:
            out.append(f"  note: {self.merged}, after this run")
        if self.effective_segment != self.segment:
            out.append(f"  effective segment (override): {self.effective_segment}")
        out.append(f"  previous segment: {self.previous_segment or 'none'}")
        for axis in self.axes:
            out.append(f"  {axis.axis} = {value_text(axis.score)}")
            for item in axis.items:
                out.append(f"    {item.metric} = {_shown(item.value)}: {item.matched} → "
                           f"{value_text(item.points)} points × weight "
                           f"{value_text(item.weight)} → {value_text(item.contribution)}")
            if axis.split:
                split = axis.split
                group = f" in group {split['group']!r}" if "group" in split else ""
                margin = f", margin {value_text(split['margin'])}" if split.get("margin") else ""
                previous = split.get("previous_side") or "none"
                out.append(f"    split {split['rule']}{group} = {_shown(split['value'])}"
                           f"{margin}; previous side {previous} → {split['side']}")
        for tier in self.tiers:
            mark = "holds" if tier["holds"] else "no"
            out.append(f"  tier {tier['id']}: {tier['when'] or '(otherwise)'} → {mark}")
        return out


def _shown(value: Any) -> str:
    text = value_text(value)
    return "null" if text is None else text


def _matched(item: AxisItem, value: Any, kind: str) -> str:
    if value is None:
        return f"missing ({value_text(item.missing)} points)"
    score = item.score
    if isinstance(score, PercentileScore):
        return "percentile, descending" if score.descending else "percentile"
    if isinstance(score, LinearScore):
        return f"linear from {value_text(score.start)} to {value_text(score.end)}"
    _, matched = SCORE_FUNCTIONS[score_name(score)](score, Vec.from_python(kind, [value]))
    index = int(matched[0])
    if index in (NO_MATCH, MISSING):
        return f"else ({value_text(score.otherwise)} points)"
    if isinstance(score, MapScore):
        return f"map {list(score.points)[index]!r}"
    band: Any = score.bands[index] if isinstance(score, BandsScore) else None
    low = f"{value_text(band.min)} ≤ " if band.min is not None else ""
    high = f" ≤ {value_text(band.max)}" if band.max is not None else ""
    return f"band {index + 1} ({low}value{high})"


def _python_value(value: Any, kind: str) -> Any:
    if kind == "date" and isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value


def explain_record(ruleset: LoadedRuleset, record: Mapping[str, Any], splits: Mapping,
                   code: str, run_id: int | None, as_of: dt.date) -> Explanation:
    """The explanation of one stored (or computed) customer record."""
    spec, types = ruleset.spec, ruleset.metric_types
    kinds = {m: kind_of(t) for m, t in types.items()}
    values = {m: _python_value((record["metrics"].get(m) or {}).get("value"), kinds[m])
              for m in types}
    axes = []
    for axis in spec.axes:
        total = sum(float(item.weight) for item in axis.items)
        items = []
        for item in axis.items:
            entry = record["metrics"].get(item.metric) or {}
            points, weight = entry.get("points", 0.0), float(item.weight)
            items.append(ItemExplanation(item.metric, values[item.metric],
                                         score_name(item.score),
                                         _matched(item, values[item.metric], kinds[item.metric]),
                                         points, weight,
                                         round_half_away(10.0 * weight * points / total, 9)))
        axes.append(AxisExplanation(axis.id, axis.label.get(), record["axes"][axis.id], items,
                                    _split(spec, record, splits, axis.id)))
    tiers = _tiers(ruleset, values, record["axes"], as_of)
    return Explanation(code, spec.id, run_id, as_of, record["segment"],
                       record["previous_segment"], record["effective_segment"], axes, values,
                       tiers)


def _split(spec: RulesetSpec, record, splits: Mapping, axis_id: str) -> dict | None:
    quadrant = spec.classification
    if not isinstance(quadrant, Quadrant) or axis_id not in (quadrant.x, quadrant.y):
        return None
    stored, sides = splits.get(axis_id, {}), record.get("sides") or {}
    split = {"rule": stored.get("rule"), "value": stored.get("value"),
             "margin": stored.get("margin", 0), "side": sides.get(axis_id)}
    if "groups" in stored:
        split["group"] = sides.get(GROUP_KEY, "")
        split["value"] = stored["groups"].get(split["group"])
    previous = {s.id: s.sides[axis_id] for s in quadrant.segments}
    split["previous_side"] = previous.get(record.get("previous_segment"))
    return split


def _tiers(ruleset: LoadedRuleset, values: Mapping, axes: Mapping, as_of: dt.date) -> list:
    spec = ruleset.spec
    if isinstance(spec.classification, Quadrant):
        return []
    env_types = {**ruleset.metric_types, **{a: NUMBER for a in axes}}
    known = {**values, **axes, "as_of": as_of}
    found, decided = [], False
    for tier in spec.classification.segments:
        holds = not decided and (tier.when is None or
                                 bool(compile_python(parse(tier.when), env_types)(known)))
        decided = decided or holds
        found.append({"id": tier.id, "when": tier.when, "holds": holds})
    return found


def explain_result(result: RunResult, customer_code: str) -> Explanation:
    """Explain a customer of a computed (possibly unstored) run."""
    index = result.index_of(customer_code)
    if index is None:
        raise NotFound(f"customer in scope of {result.ruleset_id}", customer_code)
    record = next(result.records(index, index + 1))
    return explain_record(result.ruleset, record, result.splits, customer_code, result.run_id,
                          result.as_of)


class NotInRun(NotFound):
    """A customer without a score in a run, with the reason a user can act on."""

    def __init__(self, run: EvaluationRun, code: str, why: str | None):
        super().__init__(f"customer in run {run.id} of {run.ruleset_id}", code)
        self.args = (f"{self.args[0]}: {why}",)


def _why_not_in(session: Session, spec: RulesetSpec, code: str, note) -> str:
    """Why ``code`` has no score in a run of ``spec``: merged, unknown, out of scope."""
    if note:
        return note.text()
    customer = session.scalar(select(Customer).where(Customer.code == code))
    if customer is None:
        return "there is no such customer"
    if customer.status != "active":
        return (f"its status is {customer.status!r}, and a run scores active customers "
                "only")
    if customer.type not in spec.applies_to:
        return (f"its type is {customer.type!r}, and ruleset {spec.id} applies to "
                f"{', '.join(spec.applies_to)}")
    return "it was not in scope when the run was made (added or changed since)"


def explain(engine: Engine, customer_code: str, ruleset_id: str | None = None,
            run_id: int | None = None) -> Explanation:
    """Explain a customer's segment in a stored run (default: the ruleset's latest run)."""
    with Session(engine) as session:
        run: EvaluationRun = find_run(session, ruleset_id, run_id)
        scores, customers = CustomerScore.__table__, Customer.__table__
        row = session.execute(
            select(scores).join(customers, customers.c.id == scores.c.customer_id)
            .where(scores.c.run_id == run.id, customers.c.code == customer_code)).first()
        note = merge_note(session, customer_code)
        ruleset = load_version(session, run.ruleset_version_id, run.definition_versions[1:])
        if row is None:
            raise NotInRun(run, customer_code, _why_not_in(session, ruleset.spec, customer_code,
                                                           note))
    explanation = explain_record(ruleset, row._mapping, run.splits, customer_code, run.id,
                                 run.as_of)
    return replace(explanation, merged=note.text()) if note else explanation
