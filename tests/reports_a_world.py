"""A hand-made world for the quadrant, segment and migration reports: six customers D1–D6 on
top of the web world, scored in three runs stored directly (known segments and scores)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from engine.db import transaction
from engine.models import Customer, CustomerScore, EvaluationRun, User
from web_world import RULESET, _world_snapshot, world  # noqa: F401  (fixtures)

# code, owner, region, city, name
CUSTOMERS = (
    ("D1", "r1", "浙江省", "杭州市", "D1 医院"),
    ("D2", "r1", "浙江省", "宁波市", "D2 医院"),
    ("D3", "r1", "江苏省", "南京市", "=HYPERLINK(\"http://x\")"),
    ("D4", "r2", "江苏省", "南京市", "<script>alert(1)</script>"),
    ("D5", "r2", "浙江省", "杭州市", "\"><img src=x onerror=alert(1)> {{7*7}}"),
    ("D6", "r2", "浙江省", "杭州市", "D6 医院"),
)
# run → code → (segment, value, potential); a missing code: not scored in that run.
RUN_A = {"D1": ("star", 80, 80), "D2": ("question", 20, 70), "D3": ("cash_cow", 90, 10),
         "D4": ("dog", 5, 5), "D6": ("star", 75, 60)}
RUN_B = {"D1": ("star", 82, 85), "D2": ("star", 60, 75), "D3": ("dog", 10, 10),
         "D4": ("question", 30, 90), "D5": ("dog", 15, 20), "D6": ("cash_cow", 70, 30)}
RUN_C = dict(RUN_B)


@dataclass
class Small:
    world: object
    runs: dict[str, int] = field(default_factory=dict)     # A, B, C → run id
    ids: dict[str, int] = field(default_factory=dict)      # code → customer id


def _store_run(session, version_id: int, as_of: dt.date, scores: dict, ids: dict) -> int:
    run = EvaluationRun(ruleset_id=RULESET, ruleset_version_id=version_id, as_of=as_of,
                        status="completed", trigger="cli",
                        finished_at=dt.datetime(2027, 1, 1, tzinfo=dt.timezone.utc),
                        splits={"value": {"rule": "median", "value": 50.0},
                                "potential": {"rule": "median", "value": 40.0}},
                        counts={}, migration={}, timings={})
    session.add(run)
    session.flush()
    for code, (segment, value, potential) in scores.items():
        session.add(CustomerScore(run_id=run.id, customer_id=ids[code], segment=segment,
                                  effective_segment=segment,
                                  axes={"value": float(value), "potential": float(potential)},
                                  metrics={}))
    return run.id


@pytest.fixture
def small(engine, world):  # noqa: F811
    built = Small(world)
    with transaction(engine) as session:
        users = dict(session.execute(select(User.username, User.id)).all())
        version_id = session.scalar(select(EvaluationRun.ruleset_version_id)
                                    .where(EvaluationRun.id == world.run_id))
        for code, owner, region, city, name in CUSTOMERS:
            customer = Customer(code=code, name=name, normalized_name=code, type="hospital",
                                region=region, city=city, owner_id=users[owner],
                                status="active")
            session.add(customer)
            session.flush()
            built.ids[code] = customer.id
        for key, as_of, scores in (("A", dt.date(2027, 1, 1), RUN_A),
                                   ("B", dt.date(2027, 4, 1), RUN_B),
                                   ("C", dt.date(2027, 7, 1), RUN_C)):
            built.runs[key] = _store_run(session, version_id, as_of, scores, built.ids)
    return built
