"""Writing a run's score rows in bulk, the fastest way each database offers."""
from __future__ import annotations

import json

from sqlalchemy import Connection, insert

from engine.models import CustomerScore

from .results import RunResult
from .score_rows import COLUMNS, score_rows


def _copy_field(value) -> str:
    return "\\N" if value is None else str(value).replace("\\", "\\\\")


def _copy_line(row: tuple) -> str:
    """One row in COPY's text format (JSON text never holds a raw tab or newline)."""
    return "\t".join(map(_copy_field, row)) + "\n"


def insert_scores(connection: Connection, result: RunResult, run_id: int) -> None:
    """Write every score row of ``result`` under ``run_id`` in the connection's transaction:
    ``COPY`` on PostgreSQL, ``executemany`` elsewhere."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        # Imported here: loading psycopg costs a SQLite command a tenth of a second.
        from psycopg.copy import QueuedLibpqWriter

        # One COPY for every batch, sent by a writer thread: the server stores a batch while
        # the next one is built.
        cursor = connection.connection.driver_connection.cursor()
        statement = f"COPY customer_scores ({', '.join(COLUMNS)}) FROM STDIN"
        with cursor.copy(statement, writer=QueuedLibpqWriter(cursor)) as copy:
            for rows in score_rows(result, run_id):
                copy.write("".join(map(_copy_line, rows)))
        return
    for rows in score_rows(result, run_id):
        if dialect == "sqlite":
            marks = ", ".join("?" for _ in COLUMNS)
            connection.exec_driver_sql(
                f"INSERT INTO customer_scores ({', '.join(COLUMNS)}) VALUES ({marks})", rows)
        else:
            connection.execute(insert(CustomerScore.__table__), [
                dict(zip(COLUMNS, row[:5] + tuple(None if t is None else json.loads(t)
                                                  for t in row[5:]))) for row in rows])
