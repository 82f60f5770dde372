"""Two databases of one company, real ``kamflow`` processes against them, and a comparable
picture of everything a run leaves behind (tasks, workflow states, notifications, runs).

The tests race processes against one database and run the same commands one after another
against its twin; the pictures must be equal.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import Engine, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, aliased

from engine.db import make_engine
from engine.models import (Customer, CustomerScore, EvaluationRun, Notification, Task, User,
                           WorkflowState)
from engine.setup import initialize
from tests.conftest import _create_pg_database, _drop_pg_database, _migrate, _server_url
from tests.scheduler_support import ROOT, kamflow, seed_company


class Twin:
    """A second migrated database beside the test's own, dropped at the end."""

    def __init__(self, backend: str, template_url: str, folder: Path):
        if backend == "sqlite":
            path = folder / "twin.db"
            shutil.copyfile(make_url(template_url).database, path)
            self.url, self._server = f"sqlite:///{path}", None
        else:
            self._server = _server_url()
            self.url = _create_pg_database(self._server, "kamflow_twin")
            _migrate(self.url)
        self.engine = make_engine(self.url)

    def close(self) -> None:
        self.engine.dispose()
        if self._server is not None:
            _drop_pg_database(self._server, self.url)


@contextmanager
def twin_companies(engine: Engine, backend: str, template_url: str, folder: Path,
                   customers: int) -> Iterator[tuple[Engine, Engine]]:
    """The test's database and its twin, each holding the same company of ``customers``."""
    twin = Twin(backend, template_url, folder)
    try:
        for company in (engine, twin.engine):
            found_company(company, customers)
        yield engine, twin.engine
    finally:
        twin.close()


def found_company(engine: Engine, customers: int) -> None:
    initialize(engine, admin_password="x")
    seed_company(engine, customers)


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def start(engine: Engine, *args: str, **env: str) -> subprocess.Popen:
    """``kamflow ARGS`` against ``engine``'s database, as its own process."""
    environment = {**os.environ, "KAMFLOW_DATABASE_URL": url_of(engine), **env}
    return subprocess.Popen(kamflow(*args), cwd=ROOT, env=environment, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def finish(process: subprocess.Popen, timeout: float = 240) -> subprocess.CompletedProcess:
    out, err = process.communicate(timeout=timeout)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def run(engine: Engine, *args: str, **env: str) -> subprocess.CompletedProcess:
    return finish(start(engine, *args, **env))


def stored_counts(engine: Engine) -> dict[str, int]:
    """Rows of what a run writes, by table."""
    with Session(engine) as session:
        return {table.__tablename__: session.scalar(select(func.count()).select_from(table))
                for table in (EvaluationRun, CustomerScore, Task, WorkflowState, Notification)}


def picture(engine: Engine) -> dict[str, Counter]:
    """What runs left, without ids, run numbers or times: equal for equal histories."""
    assignee, recipient = aliased(User), aliased(User)
    with Session(engine) as session:
        tasks = session.execute(
            select(Customer.code, Task.workflow_id, Task.template, Task.segment,
                   Task.previous_segment, assignee.username, Task.status, Task.due_date,
                   Task.title)
            .join(Customer, Customer.id == Task.customer_id)
            .outerjoin(assignee, assignee.id == Task.assignee_id)).all()
        states = session.execute(
            select(Customer.code, WorkflowState.workflow_id, WorkflowState.state)
            .join(Customer, Customer.id == WorkflowState.customer_id)).all()
        notices = session.execute(
            select(Notification.kind, recipient.username, Notification.subject)
            .outerjoin(recipient, recipient.id == Notification.user_id)).all()
        runs = session.execute(select(EvaluationRun.status, EvaluationRun.as_of)).all()
    return {"tasks": _counted(tasks), "states": _counted(states),
            "notifications": _counted(notices), "runs": _counted(runs)}


def _counted(rows) -> Counter:
    """Rows as a multiset; JSON values (titles per locale) as their canonical text."""
    return Counter(tuple(json.dumps(v, sort_keys=True, ensure_ascii=False)
                         if isinstance(v, dict) else v for v in row) for row in rows)
