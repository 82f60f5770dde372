"""Helpers for the import tests: the good and bad data files, snapshots, XLSX writing.

(It holds no tests; the fixtures are imported by the ``test_import_*`` modules.)
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.imports import import_file
from engine.models import AuditEntry, Customer, Order, Payment, Product, User, Visit
from engine.packs import import_pack
from engine.setup import initialize
from tests.packs_support import PHARMACY_PACK

DATA = Path(__file__).resolve().parent / "data" / "imports"
GOOD = DATA / "good"
BAD = DATA / "bad"
KIND_ORDER = ("users", "products", "customers", "orders", "payments", "visits")
MODELS = {"users": User, "products": Product, "customers": Customer, "orders": Order,
          "payments": Payment, "visits": Visit}


@pytest.fixture
def initialized(engine):
    """A database with the default pack (form ``hospital``) and an admin."""
    initialize(engine, admin_password="x")
    return engine


@pytest.fixture
def with_pharmacy(initialized):
    """The default pack and the pharmacy pack (form ``pharmacy``)."""
    import_pack(initialized, PHARMACY_PACK, actor="test")
    return initialized


def load_good(engine, *kinds: str) -> None:
    """Import the good files of ``kinds`` (and of every kind they depend on), in order."""
    last = max(KIND_ORDER.index(k) for k in kinds)
    needed = set(kinds) | {k for k in KIND_ORDER[:last] if k in ("users", "products",
                                                                  "customers")}
    for kind in KIND_ORDER:
        if kind in needed:
            import_file(engine, kind, GOOD / f"{kind}.csv")


def snapshot(engine) -> dict[str, list[tuple]]:
    """Every row of every table an import writes, all columns, in id order."""
    with engine.connect() as connection:
        return {kind: [tuple(r) for r in connection.execute(
                    select(model.__table__).order_by(model.__table__.c.id))]
                for kind, model in MODELS.items()}


def import_audits(engine) -> list[AuditEntry]:
    with engine.connect() as connection:
        return list(connection.execute(
            select(AuditEntry.object_type, AuditEntry.object_id, AuditEntry.details,
                   AuditEntry.actor).where(AuditEntry.action == "data.import")
            .order_by(AuditEntry.id)))


def problem_lines(rejected) -> list[str]:
    """The problems of an ``ImportRejected`` as "row N: column: message" (or "file: message"
    for a problem of the whole file)."""
    return [f"row {p.row}: {p.path}: {p.message}" if p.path else
            f"row {p.row}: {p.message}" if p.row is not None else f"file: {p.message}"
            for p in rejected.problems]


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8",
              bom: bool = False) -> Path:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode(encoding))
    return path


def read_csv(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as source:
        return list(csv.reader(source))


def write_xlsx(path: Path, rows: list[list]) -> Path:
    """A workbook whose first sheet holds ``rows`` (Python values: dates become date cells)."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    extra = workbook.create_sheet("ignored")
    extra.append(["only the first sheet is read"])
    workbook.save(path)
    return path
