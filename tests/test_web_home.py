"""The home page of each role: a rep's tasks, a manager's team picture, an admin's runs."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import update

from engine.db import transaction
from engine.models import Customer, EvaluationRun, Task
from web_support import app, make_app, sign_in, text  # noqa: F401  (fixtures)
from web_world import PASSWORD, _world_snapshot, world  # noqa: F401  (fixtures)


def _home(app, username: str) -> str:
    """The home page of ``username``, in their locale (zh: the users' default)."""
    client = app.test_client()
    assert sign_in(client, username, PASSWORD).status_code == 302
    response = client.get("/")
    assert response.status_code == 200
    return text(response)


def test_a_rep_sees_their_own_open_tasks(app, world, engine):
    with transaction(engine) as session:
        session.execute(update(Task).where(Task.id == world.tasks["r1"])
                        .values(due_date=dt.date(2000, 1, 3)))
    page = _home(app, "r1")
    assert re.search(r"<strong>1</strong> 项已逾期", page)
    assert f'href="/tasks/{world.tasks["r1"]}"' in page
    assert f'href="/tasks/{world.tasks["r2"]}"' not in page     # r2's task is not r1's
    assert "团队客户分布" not in page


def test_a_manager_sees_the_team_picture_and_pending_challenges(app, world):
    page = _home(app, "m1")
    assert "有 1 条分类申诉待您审批" in page
    # The team owns C1 only (C2 is the west team's): one customer in the picture.
    counts = re.findall(r'segment=[a-z_]*">(\d+)</a>', page)
    assert sum(map(int, counts)) == 1
    other = _home(app, "m2")
    assert "有 0 条分类申诉待您审批" in other


def test_an_admin_sees_the_latest_runs_with_their_warnings(app, world, engine):
    page = _home(app, "admin")
    assert "最近的评估" in page and f"#{world.run_id}" in page
    assert "最近的数据导入" in page and "尚未导入数据" in page
    assert "下没有客户" in page       # 3 customers leave segments of the pack empty


def test_names_and_warnings_are_shown_as_text(app, world, engine):
    hostile = '"><img src=x onerror=alert(1)><script>alert(1)</script>'
    with transaction(engine) as session:
        session.execute(update(EvaluationRun).values(
            warnings=[{"kind": "x", "message": hostile}], error=hostile))
        session.execute(update(Task).values(title={"zh": hostile, "en": hostile}))
        session.execute(update(Customer).values(name=hostile))
    for username in ("admin", "m1", "r1"):
        page = _home(app, username)
        assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in _home(app, "admin")
