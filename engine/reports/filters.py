"""The filters every report shares, read from a URL's query so that a link can be shared:
ruleset, run (and a second run to compare with), region, city, team, owner, customer type.

``customer_condition`` turns them, with the viewer's visibility (``engine.access``), into one
condition on ``customers``; ``resolve_runs`` picks the runs a report reads (default: the latest
completed run of the ruleset, compared with the completed run before it).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Mapping

from sqlalchemy import ColumnElement, Connection, and_, select

from engine import access
from engine.access import Viewer
from engine.errors import InvalidInput, Problem
from engine.models import Customer, EvaluationRun, User

TEXT_FIELDS = ("ruleset", "region", "city", "team", "owner", "type")
RUN_FIELDS = ("run", "run_b")
MAX_TEXT = 200


@dataclass(frozen=True)
class ReportFilter:
    ruleset: str | None = None
    run: int | None = None          # the run the report reads (default: the latest)
    run_b: int | None = None        # the run to compare with (default: the one before ``run``)
    region: str | None = None
    city: str | None = None
    team: str | None = None
    owner: str | None = None        # a username
    type: str | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> ReportFilter:
        """Read the filters from query arguments; every problem is listed at its field."""
        values: dict[str, object] = {}
        problems = []
        for name in TEXT_FIELDS:
            text = (args.get(name) or "").strip()
            if len(text) > MAX_TEXT:
                problems.append(Problem(path=name, message=f"at most {MAX_TEXT} characters"))
            elif text:
                values[name] = text
        for name in RUN_FIELDS:
            text = (args.get(name) or "").strip()
            if text and not text.isdigit():
                problems.append(Problem(path=name, message=f"{text!r} is not a run number"))
            elif text:
                values[name] = int(text)
        if problems:
            raise InvalidInput(problems, "report filters")
        return cls(**values)

    def args(self, **changes) -> dict[str, object]:
        """The filters as query arguments (only those set), with ``changes`` applied."""
        return {k: v for k, v in asdict(replace(self, **changes)).items() if v not in (None, "")}


def customer_condition(viewer: Viewer, filters: ReportFilter) -> ColumnElement[bool]:
    """The customers a report counts: those ``viewer`` may see, narrowed by ``filters``."""
    conditions = [access.customers(viewer)]
    if filters.region:
        conditions.append(Customer.region == filters.region)
    if filters.city:
        conditions.append(Customer.city == filters.city)
    if filters.type:
        conditions.append(Customer.type == filters.type)
    if filters.team:
        conditions.append(Customer.owner_id.in_(select(User.id).where(User.team == filters.team)))
    if filters.owner:
        conditions.append(Customer.owner_id.in_(
            select(User.id).where(User.username == filters.owner)))
    return and_(*conditions)


def customer_ids(viewer: Viewer, filters: ReportFilter):
    """The ids of the customers a report counts (for facts and scores)."""
    return select(Customer.id).where(customer_condition(viewer, filters))


def completed_runs(connection: Connection, ruleset: str | None) -> list[dict]:
    """Completed runs, newest first (of ``ruleset`` when given): id, ruleset, as_of."""
    query = (select(EvaluationRun.id, EvaluationRun.ruleset_id, EvaluationRun.as_of)
             .where(EvaluationRun.status == "completed").order_by(EvaluationRun.id.desc()))
    if ruleset:
        query = query.where(EvaluationRun.ruleset_id == ruleset)
    return [dict(row) for row in connection.execute(query).mappings()]


def resolve_runs(connection: Connection, filters: ReportFilter) -> ReportFilter:
    """``filters`` with the ruleset, run and comparison run filled in where left open.

    A run that is not a completed run (of the ruleset, when one is named) is refused."""
    runs = completed_runs(connection, filters.ruleset)
    by_id = {run["id"]: run for run in runs}
    problems = [Problem(path=name, message=f"run {value} is not a completed run"
                                           + (f" of {filters.ruleset}" if filters.ruleset else ""))
                for name, value in (("run", filters.run), ("run_b", filters.run_b))
                if value is not None and value not in by_id]
    if problems:
        raise InvalidInput(problems, "report filters")
    if not runs:
        return filters
    run = by_id[filters.run] if filters.run else runs[0]
    ruleset = filters.ruleset or run["ruleset_id"]
    earlier = [r for r in runs if r["ruleset_id"] == ruleset and r["id"] < run["id"]]
    run_b = filters.run_b or (earlier[0]["id"] if earlier else None)
    return replace(filters, ruleset=ruleset, run=run["id"], run_b=run_b)
