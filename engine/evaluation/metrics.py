"""Every metric of a ruleset for every customer in scope: aggregates in SQL, fields from
profiles, formulas as vectorized expressions in dependency order (SPEC §3.2, §3.5)."""
from __future__ import annotations

import datetime as dt
from graphlib import TopologicalSorter
from time import perf_counter
from typing import Mapping

from sqlalchemy import Connection

from engine.definitions.ruleset_specs import AggregateMetric, FieldMetric, FormulaMetric
from engine.expr import names_in, parse

from .aggregates import run_table, table_queries
from .loading import LoadedRuleset
from .scope import Population, scope_ids
from .vector_expr import compile_vector
from .vectors import Vec, rounded


def compute_metrics(connection: Connection, ruleset: LoadedRuleset, population: Population,
                    as_of: dt.date, timings: dict) -> dict[str, Vec]:
    """metric id → vector over ``population``, in the ruleset's definition order."""
    spec = ruleset.spec
    values: dict[str, Vec] = {}
    aggregates = [m for m in spec.metrics if isinstance(m, AggregateMetric)]
    scope = scope_ids(spec.applies_to)
    split = connection.dialect.name == "sqlite"
    for query in table_queries(aggregates, as_of, split_windows=split):
        started = perf_counter()
        values.update(run_table(connection, query, scope, population.ids))
        key = f"aggregate_{query.table}"
        timings[key] = timings.get(key, 0.0) + perf_counter() - started
    for metric in spec.metrics:
        if isinstance(metric, FieldMetric):
            values[metric.id] = population.fields[metric.field]
    started = perf_counter()
    formulas = [m for m in spec.metrics if isinstance(m, FormulaMetric)]
    values.update(formula_values(formulas, ruleset.metric_types, values, as_of, len(population)))
    timings["formulas"] = perf_counter() - started
    return {m.id: values[m.id] for m in spec.metrics}


def formula_values(formulas: list[FormulaMetric], types: Mapping, known: Mapping[str, Vec],
                   as_of: dt.date, size: int) -> dict[str, Vec]:
    """Formula metrics computed after the metrics they name; numeric results rounded to 9
    decimals, so a formula naming another one sees the rounded value."""
    by_id = {f.id: f for f in formulas}
    nodes = {f.id: parse(f.formula) for f in formulas}
    graph = {f.id: {n for n in names_in(nodes[f.id]) if n in by_id} for f in formulas}
    env: dict[str, Vec] = {**known, "as_of": Vec.full("date", as_of, size)}
    computed = {}
    for metric_id in TopologicalSorter(graph).static_order():
        node = nodes[metric_id]
        names = names_in(node) - {"as_of"}
        compiled = compile_vector(node, {name: types[name] for name in names})
        env[metric_id] = computed[metric_id] = rounded(compiled(env, size))
    return computed
