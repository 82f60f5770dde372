"""Finding stored runs: by id, or the latest completed run of a ruleset."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import Conflict, KamflowError, NotFound
from engine.models import Definition, EvaluationRun


class RulesetNotGiven(KamflowError, LookupError):
    """No ruleset was named and there is not exactly one to choose."""

    def __init__(self, known: list[str]):
        self.known = known
        listed = ", ".join(known) if known else "none is published"
        super().__init__(f"name a ruleset: more than one exists ({listed})" if len(known) > 1
                         else f"name a ruleset: {listed}")


def only_ruleset(session: Session) -> str:
    """The id of the one published ruleset; refused when there are none or several."""
    known = list(session.scalars(select(Definition.def_id).where(
        Definition.kind == "ruleset", Definition.published_version_id.is_not(None))
        .order_by(Definition.def_id)))
    if len(known) != 1:
        raise RulesetNotGiven(known)
    return known[0]


def find_run(session: Session, ruleset_id: str | None = None,
             run_id: int | None = None) -> EvaluationRun:
    """Run ``run_id``, or the latest completed run of ``ruleset_id`` (or of the only
    ruleset)."""
    if run_id is not None:
        run = session.get(EvaluationRun, run_id)
        if run is None:
            raise NotFound("evaluation run", run_id)
        if ruleset_id is not None and run.ruleset_id != ruleset_id:
            raise Conflict(f"run {run_id} evaluated ruleset {run.ruleset_id!r}, "
                           f"not {ruleset_id!r}")
        if run.status != "completed":
            raise Conflict(f"run {run_id} is {run.status}, not completed")
        return run
    ruleset_id = ruleset_id or only_ruleset(session)
    run = session.scalar(select(EvaluationRun).where(
        EvaluationRun.ruleset_id == ruleset_id, EvaluationRun.status == "completed")
        .order_by(EvaluationRun.id.desc()).limit(1))
    if run is None:
        raise NotFound("stored run of ruleset", ruleset_id)
    return run
