"""The staging table: a file's parsed rows in a temporary table, checked and merged in SQL.

The streaming pass writes each batch of parsed rows into a temporary table (``executemany`` on
SQLite, ``COPY`` on PostgreSQL); counting a batch's added and changed rows and merging it into
the kind's table are one statement each over that batch's range of rows; the checks across rows
(a repeated id, a reference to another row of the file) are queries over the whole table. No
ORM object is made per row, and nothing but the staged tuples passes through Python.
"""
from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor

from sqlalchemy import MetaData, Table, and_, case, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from engine.forms import describe
from engine.imports.kinds import Kind, distinct
from engine.imports.problems import LISTED, ProblemLog, expected_found, expected_got

STAGE_NAME = "kamflow_import_stage"
# SQLite's page cache for the importing connection (its default is 2 MB): merging millions of
# rows updates four indexes of ``orders`` at random places, and a cache that holds their hot
# pages halves that time. Restored when the import ends, the connection goes back to the pool.
SQLITE_CACHE_KIB = int(os.environ.get("KAMFLOW_IMPORT_SQLITE_CACHE_KIB", 65536))
_INSERT = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


class Stage:
    """The staging table of one import on one connection (temporary tables are per
    connection, so every step runs on the same one)."""

    def __init__(self, connection, kind: Kind):
        self.connection = connection
        self.kind = kind
        self.dialect = connection.dialect.name
        self.table = Table(STAGE_NAME, MetaData(), *kind.staging_columns(),
                           prefixes=["TEMPORARY"])
        self.saved_cache: int | None = None
        # The file columns the header has (set once it is read); the others are not merged.
        self.present = frozenset(kind.column_names)

    @property
    def key(self):
        return self.table.c[self.kind.key]

    def create(self) -> None:
        self.drop()
        if self.dialect == "sqlite":
            self.saved_cache = self.connection.exec_driver_sql("PRAGMA cache_size").scalar()
            self.connection.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
        self.table.create(self.connection)

    def drop(self) -> None:
        self.connection.exec_driver_sql(f"DROP TABLE IF EXISTS {STAGE_NAME}")
        if self.saved_cache is not None:
            self.connection.exec_driver_sql(f"PRAGMA cache_size = {int(self.saved_cache)}")

    def load(self, rows: list[tuple]) -> None:
        """Append parsed rows (tuples in the table's column order)."""
        if self.dialect == "postgresql":
            names = ", ".join(c.name for c in self.table.columns)
            with self.connection.connection.dbapi_connection.cursor() as cursor:
                with cursor.copy(f"COPY {STAGE_NAME} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in self.table.columns)
            self.connection.exec_driver_sql(f"INSERT INTO {STAGE_NAME} VALUES ({marks})", rows)

    def finish_loading(self) -> None:
        """Index the key once every row is in (faster than keeping an index while loading)."""
        self.connection.exec_driver_sql(
            f"CREATE INDEX {STAGE_NAME}_key ON {STAGE_NAME} ({self.kind.key})")
        if self.dialect == "postgresql":
            self.connection.exec_driver_sql(f"ANALYZE {STAGE_NAME}")

    # --- checks across rows ------------------------------------------------------------------

    def check(self, log: ProblemLog) -> None:
        """Add the problems only the whole file shows: repeated ids, in-file references."""
        self._repeated_ids(log)
        for check in self.kind.in_file_checks(self.table):
            found = check.query.subquery()
            count = self.connection.scalar(select(func.count()).select_from(found))
            if count:
                rows = self.connection.execute(
                    select(found).order_by(found.c.row).limit(LISTED)).all()
                log.add_counted(((row, check.column, expected_got(check.expected, value))
                                 for row, value in rows), count)

    def _repeated_ids(self, log: ProblemLog) -> None:
        key, row = self.key, self.table.c.row
        first = (select(key.label("key"), func.min(row).label("first"))
                 .group_by(key).having(func.count() > 1).subquery())
        repeats = (select(row, key, first.c.first)
                   .join(first, and_(first.c.key == key, row > first.c.first)))
        count = self.connection.scalar(select(func.count()).select_from(repeats.subquery()))
        if not count:
            return
        name = self.kind.key
        found = self.connection.execute(repeats.order_by(row).limit(LISTED)).all()
        log.add_counted(((r, name, expected_found(f"a unique {name}", f"{describe(value)} "
                                                                      f"again (first on row {f})"))
                         for r, value, f in found), count)

    # --- counting and merging ----------------------------------------------------------------

    def values(self) -> dict:
        """Target column → the value to merge, for the columns the file has."""
        return self.kind.merged_values(self.table, self.dialect, self.present)

    def _differences(self, old: Table, new: dict) -> list:
        """Per merged column, "the stored value differs from ``new``" as SQL."""
        compare = self.kind.differences(self.dialect)
        return [compare.get(name, distinct)(old.c[name], value)
                for name, value in new.items() if name != self.kind.key]

    def count_changes(self, first: int, last: int) -> tuple[int, int, int]:
        """(rows, added, changed) of the staged rows ``first``–``last`` against the table."""
        target, stage = self.kind.table, self.table
        changed = or_(*self._differences(target, self.values()),
                      *self.kind.more_differences(target, stage, self.present))
        matched = target.c.id.is_not(None)
        source = self.kind.source(stage)
        query = (select(func.count(), func.count(target.c.id),
                        func.coalesce(func.sum(case((and_(matched, changed), 1), else_=0)), 0))
                 .select_from(source.outerjoin(target, target.c[self.kind.key] == self.key))
                 .where(stage.c.row.between(first, last)))
        rows, existing, changed_count = self.connection.execute(query).one()
        return rows, rows - existing, changed_count

    def merge(self, first: int, last: int) -> None:
        """Insert the staged rows ``first``–``last`` that are new and update those that
        changed; unchanged rows are not written at all."""
        target = self.kind.table
        values = self.values()
        rows = (select(*values.values()).select_from(self.kind.source(self.table))
                .where(self.table.c.row.between(first, last)))
        insert = _INSERT[self.dialect](target).from_select(list(values), rows)
        excluded = {name: insert.excluded[name] for name in values if name != self.kind.key}
        insert = insert.on_conflict_do_update(
            index_elements=[target.c[self.kind.key]],
            set_={**excluded, **self.kind.on_update()},
            where=or_(*self._differences(target, excluded)))
        self.connection.execute(insert)

    def finish_merging(self) -> None:
        self.kind.after_merge(self.connection, self.table, self.present)


class BatchWriter:
    """Stages batches of parsed rows; a helper thread counts and merges each staged batch
    while the caller parses the next one.

    The connection is never used by both threads at once: ``write`` waits for the previous
    batch's work before staging the next. SQLite and psycopg release the GIL while a
    statement runs, so the database's work overlaps with the parsing. Once a problem is
    logged nothing more is merged (the transaction will be rolled back anyway).
    """

    def __init__(self, stage: Stage, log: ProblemLog, merge: bool):
        self.stage, self.log, self.merging = stage, log, merge
        self.rows = self.added = self.changed = 0
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kamflow-import")
        self.pending: Future | None = None

    def __enter__(self) -> "BatchWriter":
        return self

    def __exit__(self, *exc_info) -> None:
        try:
            self.wait()
        finally:
            self.executor.shutdown()

    def write(self, batch: list[tuple]) -> None:
        self.wait()
        self.stage.load(batch)
        if len({row[1] for row in batch}) < len(batch):
            # A key twice in one batch: the file will be rejected, and PostgreSQL refuses an
            # upsert that touches a row twice, so nothing more is merged.
            self.merging = False
        self.pending = self.executor.submit(self._settle, batch[0][0], batch[-1][0])

    def wait(self) -> None:
        """Finish the pending batch's work (and raise what it raised)."""
        pending, self.pending = self.pending, None
        if pending is not None:
            pending.result()

    def _settle(self, first: int, last: int) -> None:
        rows, added, changed = self.stage.count_changes(first, last)
        self.rows, self.added, self.changed = (self.rows + rows, self.added + added,
                                               self.changed + changed)
        if self.merging and not self.log and (added or changed):
            self.stage.merge(first, last)
