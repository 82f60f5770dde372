"""Bringing a database to a usable state: schema, default pack, first admin."""
from __future__ import annotations

import os
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from engine.config import DEFAULT_PACK_PATH
from engine.db import transaction
from engine.migrate import upgrade
from engine.models import Definition
from engine.packs import ImportPlan, import_pack
from engine.users import ensure_first_admin


@dataclass
class InitResult:
    pack_plan: ImportPlan | None
    admin_created: bool
    generated_password: str | None


def _nothing_published(engine: Engine) -> bool:
    with Session(engine) as session:
        return session.scalar(select(Definition.id)
                              .where(Definition.published_version_id.is_not(None))
                              .limit(1)) is None


def initialize(engine: Engine, admin_password: str | None = None) -> InitResult:
    """Create or upgrade the schema, load the default pack when nothing is published, and
    create the first admin (password given, from ``KAMFLOW_ADMIN_PASSWORD``, or generated).
    Running it again changes nothing."""
    upgrade(engine)
    plan = None
    if _nothing_published(engine):
        plan = import_pack(engine, DEFAULT_PACK_PATH, actor="kamflow init")
    password = admin_password or os.environ.get("KAMFLOW_ADMIN_PASSWORD") or None
    with transaction(engine) as session:
        user, generated = ensure_first_admin(session, password)
    return InitResult(plan, user is not None, generated)
