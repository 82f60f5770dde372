"""Start-up of an evaluation on SQLite: the PostgreSQL driver and SQLAlchemy's PostgreSQL
dialect are loaded only by a run on PostgreSQL (psycopg alone costs every SQLite command a
tenth of a second)."""
from __future__ import annotations

import subprocess
import sys


def test_evaluation_does_not_load_the_postgresql_driver():
    code = ("import sys, engine.runs, engine.evaluation.bulk_insert, engine.cli.evaluate_cmds; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'psycopg' "
            "or m.startswith('sqlalchemy.dialects.postgresql')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"
