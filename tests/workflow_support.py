"""Helpers for workflow, task and override tests: a small pack, people, customers, runs.

The test pack has one ruleset ``tiers`` (customer type ``clinic``; tiers ``a``, ``b``, ``c``)
and whatever workflows a test gives. Runs are stored directly (EvaluationRun + CustomerScore)
with the effective segment following the active overrides, as evaluation stores them.
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db import transaction
from engine.definitions.published import published_spec
from engine.models import (Customer, CustomerScore, EvaluationRun, Notification, Task, User,
                           WorkflowState)
from engine.overrides import effective_segments
from engine.packs import import_pack

UTC = dt.timezone.utc
# 2026-03-02 01:00 in Asia/Shanghai is still 2026-03-01 in UTC: due dates count from the local day.
RUN_START = dt.datetime(2026, 3, 1, 17, 0, tzinfo=UTC)
LOCAL_START = dt.date(2026, 3, 2)

PACK = {"id": "test_tiers", "version": "1.0.0", "title": "Test tiers"}
FORM = {"kind": "form", "id": "clinic", "title": "Clinic", "customer_type": "clinic",
        "fields": [{"key": "size", "label": "Size", "type": "number"},
                   {"key": "speciality", "label": "Speciality", "type": "text"}]}
RULESET = {
    "kind": "ruleset", "id": "tiers", "title": "Tiers", "applies_to": ["clinic"],
    "window": {"months": 12},
    "metrics": {"size": {"field": "size"}},
    "axes": {"scale": {"label": "Scale", "items": [
        {"metric": "size", "weight": 1, "score": {"linear": {"from": 0, "to": 100}}}]}},
    "classification": {"tiers": [
        {"id": "a", "label": {"en": "Tier A", "zh": "甲"}, "color": "#000000",
         "when": "scale >= 70"},
        {"id": "b", "label": {"en": "Tier B", "zh": "乙"}, "color": "#111111",
         "when": "scale >= 30"},
        {"id": "c", "label": {"en": "Tier C", "zh": "丙"}, "color": "#222222"}]},
}


def template(kind="visit", title="Task for {{ customer.name }}", **fields) -> dict:
    """A task template; one-off due in 7 days unless ``every_days`` or ``due_in_days`` given."""
    body = {"title": title, "kind": kind, **fields}
    if "every_days" not in body and "due_in_days" not in body:
        body["due_in_days"] = 7
    return body


def workflow(on_enter=None, on_transition=(), tasks=None, workflow_id="care") -> dict:
    on_enter = {"a": [], "b": [], "c": [], **(on_enter or {})}
    return {"kind": "workflow", "id": workflow_id, "title": {"en": "Care", "zh": "关怀"},
            "ruleset": "tiers", "on_enter": on_enter, "on_transition": list(on_transition),
            "tasks": tasks or {}}


def install(engine, folder: Path, *workflows: dict) -> None:
    """Write the test pack with ``workflows`` to ``folder`` and import it (published)."""
    for sub in ("forms", "rules", "workflows"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    (folder / "pack.yaml").write_text(json.dumps(PACK))
    (folder / "forms" / "clinic.json").write_text(json.dumps(FORM))
    (folder / "rules" / "tiers.json").write_text(json.dumps(RULESET))
    for wf in workflows:
        (folder / "workflows" / f"{wf['id']}.json").write_text(json.dumps(wf, ensure_ascii=False))
    import_pack(engine, folder, actor="test")


def add_user(session: Session, username: str, role: str = "rep", *, seniority=None, team=None,
             manager: str | None = None, active: bool = True, locale: str = "en") -> User:
    manager_id = (session.scalar(select(User.id).where(User.username == manager))
                  if manager else None)
    user = User(username=username, name=username.title(), role=role, seniority=seniority,
                team=team, manager_id=manager_id, active=active, locale=locale)
    session.add(user)
    session.flush()
    return user


def add_customer(session: Session, code: str, owner: str | None = None, *, name=None,
                 type="clinic", status="active", **profile) -> Customer:
    owner_id = session.scalar(select(User.id).where(User.username == owner)) if owner else None
    customer = Customer(code=code, name=name or f"Clinic {code}", normalized_name=code,
                        type=type, status=status, owner_id=owner_id, profile=profile)
    session.add(customer)
    session.flush()
    return customer


def store_run(engine, segments: dict[str, str | None], *, started_at=RUN_START,
              as_of: dt.date | None = None, status="completed", ruleset_id="tiers") -> int:
    """A stored run placing each customer code in ``segments`` (others are out of scope)."""
    as_of = as_of or started_at.date()
    with transaction(engine) as session:
        spec = published_spec(session, "ruleset", ruleset_id)
        run = EvaluationRun(ruleset_id=ruleset_id, ruleset_version_id=spec.version_id,
                            as_of=as_of, status=status, trigger="cli", started_at=started_at)
        session.add(run)
        session.flush()
        pinned = effective_segments(session, ruleset_id, as_of)
        ids = {code: customer_id for code, customer_id in session.execute(
            select(Customer.code, Customer.id).where(Customer.code.in_(list(segments))))}
        for code, segment in segments.items():
            customer_id = ids[code]
            session.add(CustomerScore(run_id=run.id, customer_id=customer_id, segment=segment,
                                      effective_segment=pinned.get(customer_id, segment),
                                      axes={"scale": 50.0}, metrics={}))
        return run.id


def fresh(session: Session) -> Session:
    """End the session's transaction (its snapshot, on SQLite) so reads see other writers."""
    session.commit()
    session.expire_all()
    return session


def tasks_of(session: Session, code: str | None = None, **where) -> list[Task]:
    """Tasks (of one customer), in id order, reading fresh from the database."""
    fresh(session)
    query = select(Task).order_by(Task.id)
    if code is not None:
        query = query.join(Customer, Customer.id == Task.customer_id).where(Customer.code == code)
    for name, value in where.items():
        query = query.where(getattr(Task, name) == value)
    return list(session.scalars(query))


def summary(tasks: list[Task]) -> list[tuple]:
    """(template, segment, status) of each task, for compact assertions."""
    return [(t.template, t.segment, t.status) for t in tasks]


def state_of(session: Session, code: str, workflow_id: str = "care") -> str | None:
    fresh(session)
    return session.scalar(select(WorkflowState.state)
                          .join(Customer, Customer.id == WorkflowState.customer_id)
                          .where(Customer.code == code, WorkflowState.workflow_id == workflow_id))


def assignees(session: Session, **where) -> dict[str, str | None]:
    """customer code → assignee username of its tasks matching ``where`` (one each)."""
    found = {}
    for task in tasks_of(session, **where):
        found[task.customer.code] = task.assignee.username if task.assignee else None
    return found


def notifications(session: Session, kind: str | None = None) -> list[Notification]:
    fresh(session)
    query = select(Notification).order_by(Notification.id)
    if kind:
        query = query.where(Notification.kind == kind)
    return list(session.scalars(query))
