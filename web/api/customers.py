"""``GET /api/v1/customers`` (the list page's filters, keyset pages) and
``GET /api/v1/customers/<code>`` (core attributes, profile, segments per ruleset)."""
from __future__ import annotations

from dataclasses import replace

from flask import request
from sqlalchemy import Connection, and_, select
from sqlalchemy.orm import aliased

from engine import access
from engine.challenges import latest_runs
from engine.customers.listing import CustomerFilter, customer_page, default_ruleset, rulesets
from engine.models import Customer, CustomerScore, EvaluationRun, SegmentOverride, User
from engine.overrides import APPROVED, local_today
from web.api import bp
from web.api.auth import viewer
from web.api.errors import ApiError
from web.api.params import limit, respond
from web.database import get_engine


@bp.get("/customers")
def list_customers():
    """``{"items": [...], "next": CURSOR|null}``; filters ``ruleset`` (default: the first
    published), ``segment``, ``region``, ``city``, ``owner``, ``type``, ``q``, ``status``;
    ``sort``; ``limit`` and ``after``."""
    size = limit()
    with get_engine().connect() as connection:
        filters = CustomerFilter.from_args(request.args)
        if filters.ruleset is None:
            filters = replace(filters, ruleset=default_ruleset(connection))
        page = customer_page(connection, viewer(), filters, request.args.get("sort", "code"),
                             request.args.get("after") or None, size)
    return respond(page.as_dict())


@bp.get("/customers/<code>")
def show_customer(code: str):
    with get_engine().connect() as connection:
        found = customer_details(connection, access.customers(viewer()), code)
    if found is None:
        raise ApiError(404, f"no customer {code!r}")
    return respond(found)


def customer_details(connection: Connection, visible, code: str) -> dict | None:
    """The customer ``code`` if ``visible`` (a condition of ``engine.access``) holds for it."""
    owner = aliased(User)
    row = connection.execute(
        select(Customer.id, Customer.code, Customer.name, Customer.type, Customer.parent_code,
               Customer.region, Customer.city, Customer.status, Customer.profile,
               Customer.created_at, Customer.updated_at, owner.username, owner.name)
        .outerjoin(owner, owner.id == Customer.owner_id)
        .where(Customer.code == code, visible)).first()
    if row is None:
        return None
    (customer_id, code, name, type_, parent, region, city, status, profile, created, updated,
     owner_username, owner_name) = row
    return {"code": code, "name": name, "type": type_, "parent": parent, "region": region,
            "city": city, "status": status,
            "owner": {"username": owner_username, "name": owner_name} if owner_username else None,
            "profile": profile or {}, "created_at": created, "updated_at": updated,
            "segments": segments_of(connection, customer_id)}


def segments_of(connection: Connection, customer_id: int) -> list[dict]:
    """Per published ruleset: the computed and effective segment in its latest completed run
    and the active approved override, if any."""
    latest = latest_runs()
    scores = {ruleset_id: (run_id, as_of, segment, effective)
              for ruleset_id, run_id, as_of, segment, effective in connection.execute(
                  select(latest.c.ruleset_id, latest.c.run_id, EvaluationRun.as_of,
                         CustomerScore.segment, CustomerScore.effective_segment)
                  .join(EvaluationRun, EvaluationRun.id == latest.c.run_id)
                  .outerjoin(CustomerScore, and_(CustomerScore.run_id == latest.c.run_id,
                                                 CustomerScore.customer_id == customer_id)))}
    overrides = {ruleset_id: {"segment": segment, "until": until}
                 for ruleset_id, segment, until in connection.execute(
                     select(SegmentOverride.ruleset_id, SegmentOverride.segment,
                            SegmentOverride.until)
                     .where(SegmentOverride.customer_id == customer_id,
                            SegmentOverride.status == APPROVED,
                            SegmentOverride.until >= local_today())
                     .order_by(SegmentOverride.id))}
    result = []
    for ruleset in rulesets(connection):
        run_id, as_of, segment, effective = scores.get(ruleset.id, (None, None, None, None))
        override = overrides.get(ruleset.id)
        if override is not None:
            override = {**override, "segment": ruleset.segment(override["segment"])}
        result.append({"ruleset": ruleset.id, "run_id": run_id, "as_of": as_of,
                       "segment": ruleset.segment(segment),
                       "effective_segment": ruleset.segment(effective),
                       "override": override})
    return result
