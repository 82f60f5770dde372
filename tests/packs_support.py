"""Helpers for tests that build packs: copies of the default pack, cases, database counts."""
from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.models import AuditEntry, Definition, DefinitionVersion, Pack

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
PHARMACY_PACK = DATA / "valid" / "pharmacy_pack"
PACK_PARTS = ("pack.yaml", "forms", "rules", "workflows")


def copy_default_pack(destination: Path) -> Path:
    """A copy of the project's default pack in ``destination``."""
    destination.mkdir(parents=True, exist_ok=True)
    for part in PACK_PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, destination / part)
        else:
            shutil.copy(source, destination / part)
    return destination


def case_header(path: Path) -> tuple[str | None, list[str]]:
    """(place, expected messages) of an invalid case: YAML header comments or zip comment."""
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            lines = archive.comment.decode().splitlines()
        place = None
    else:
        lines = [l[2:] for l in path.read_text().splitlines() if l.startswith("# ")]
        place = next(l.split(": ", 1)[1] for l in lines if l.startswith("place: "))
    return place, [l.split(": ", 1)[1] for l in lines if l.startswith("expect: ")]


def stored_counts(engine) -> dict[str, int]:
    """How many packs, definitions, versions and audit entries the database holds."""
    with Session(engine) as session:
        return {model.__tablename__: session.scalar(select(func.count()).select_from(model))
                for model in (Pack, Definition, DefinitionVersion, AuditEntry)}
