"""``scores export``: one row per customer of a stored run (SPEC §3.5 Export).

Columns: ``customer_code``, ``segment``, ``effective_segment``, the axes in definition
order, then every metric in definition order, each scored one followed by
``<metric>_points``. Rows are sorted by customer code (code points); null is an empty cell,
booleans ``true``/``false``, dates ``YYYY-MM-DD``, numbers in shortest round-trip form.
"""
from __future__ import annotations

import csv
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, TextIO

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from engine.definitions.ruleset_specs import RulesetSpec, build_ruleset
from engine.models import Customer, CustomerScore, DefinitionVersion

from .stored import find_run
from .vectors import value_text


@dataclass(frozen=True)
class ScoreTable:
    """The exported rows of one run, values as stored (numbers, text, booleans, None)."""

    run_id: int
    ruleset_id: str
    as_of: dt.date
    columns: list[str]
    rows: list[list[Any]]


def export_columns(spec: RulesetSpec) -> list[str]:
    scored = {item.metric for axis in spec.axes for item in axis.items}
    columns = ["customer_code", "segment", "effective_segment", *(a.id for a in spec.axes)]
    for metric in spec.metrics:
        columns.append(metric.id)
        if metric.id in scored:
            columns.append(f"{metric.id}_points")
    return columns


def export_scores(engine: Engine, ruleset_id: str | None = None,
                  run_id: int | None = None) -> ScoreTable:
    """The rows of run ``run_id``, or of the latest completed run of ``ruleset_id``."""
    with Session(engine) as session:
        run = find_run(session, ruleset_id, run_id)
        spec = build_ruleset(session.get(DefinitionVersion, run.ruleset_version_id).content)
        scores, customers = CustomerScore.__table__, Customer.__table__
        stored = session.execute(
            select(customers.c.code, scores.c.segment, scores.c.effective_segment,
                   scores.c.axes, scores.c.metrics)
            .join(customers, customers.c.id == scores.c.customer_id)
            .where(scores.c.run_id == run.id)).all()
    scored = {item.metric for axis in spec.axes for item in axis.items}
    rows = []
    for code, segment, effective, axes, metrics in sorted(stored, key=lambda r: r[0]):
        row = [code, segment, effective, *(axes.get(a.id) for a in spec.axes)]
        for metric in spec.metrics:
            entry = metrics.get(metric.id) or {}
            row.append(entry.get("value"))
            if metric.id in scored:
                row.append(entry.get("points"))
        rows.append(row)
    return ScoreTable(run.id, run.ruleset_id, run.as_of, export_columns(spec), rows)


def cell_text(value: Any) -> str:
    """One CSV cell: '' for null, otherwise the value's export text."""
    text = value_text(value)
    return "" if text is None else text


def write_csv(table: ScoreTable, stream: TextIO) -> None:
    """RFC 4180 CSV (CRLF line ends) with a header row."""
    writer = csv.writer(stream)
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow([cell_text(value) for value in row])


def _json_value(value: Any) -> str:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return value_text(value)


def write_json(table: ScoreTable, stream: TextIO) -> None:
    """A JSON array of one object per row, keys in column order, one row per line."""
    stream.write("[")
    for index, row in enumerate(table.rows):
        fields = ", ".join(f"{json.dumps(c, ensure_ascii=False)}: {_json_value(v)}"
                           for c, v in zip(table.columns, row))
        stream.write(("," if index else "") + "\n  {" + fields + "}")
    stream.write("\n]\n" if table.rows else "]\n")
