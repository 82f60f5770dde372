"""The population query reads only what the ruleset asks for: the owner's username is joined
only when a field names ``owner``, and core attributes nobody reads stay out of the CTE that
PostgreSQL materializes (SPEC §3.5 Scope; the values themselves: test_eval_metrics)."""
from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from engine.evaluation.scope import _scoped_customers

DIALECTS = {"sqlite": sqlite.dialect(), "postgresql": postgresql.dialect()}


def _sql(dialect: str, core: set[str]) -> str:
    scoped = _scoped_customers(["clinic"], dialect, core)
    return str(select(scoped.c.id).compile(dialect=DIALECTS[dialect]))


@pytest.mark.parametrize("dialect", DIALECTS)
def test_only_asked_attributes_are_read(dialect):
    sql = _sql(dialect, set())
    assert "users" not in sql
    assert [c for c in ("region", "city", "parent_code", "customers.name") if c in sql] == []
    assert "customers.code" in sql and "customers.type" in sql and "customers.profile" in sql


@pytest.mark.parametrize("dialect", DIALECTS)
def test_owner_and_region_when_asked(dialect):
    sql = _sql(dialect, {"owner", "region"})
    assert "LEFT OUTER JOIN users AS owner_user" in sql
    assert "customers.region AS region" in sql
    assert "customers.city" not in sql
