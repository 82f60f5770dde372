"""Start-up of an evaluation on SQLite: the PostgreSQL driver is loaded only by a run that
writes to PostgreSQL (loading psycopg costs every SQLite command a tenth of a second)."""
from __future__ import annotations

import subprocess
import sys


def test_evaluation_does_not_load_the_postgresql_driver():
    code = ("import sys, engine.runs, engine.evaluation.bulk_insert, engine.cli.evaluate_cmds; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'psycopg'))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"
