"""Data files uploaded through the browser: checked, stored under the instance folder as
``uploads/<uuid>.<ext>`` until their import is done, then deleted; and the import history,
read from the audit entries that ``import_file`` writes (``data.import``).

A stored upload is named by a random id, never by what the browser called it: the name the
user gave is kept in the job's parameters (``file_name``) and shown as text.
"""
from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.imports.kinds import KINDS
from engine.imports.limits import MIB
from engine.models import AuditEntry, Job

EXTENSIONS = ("csv", "xlsx")
MAX_UPLOAD_BYTES = 64 * MIB          # the web app's MAX_CONTENT_LENGTH bounds the request too
MAX_NAME_CHARS = 200
KEEP_SECONDS = 24 * 3600             # an upload nobody imported is swept after a day
CHUNK_BYTES = 1 << 20
MARKER = ".kamflow-uploads"           # marks a folder of uploads: only there are files deleted
_STORED = re.compile(r"^[0-9a-f]{32}\.(csv|xlsx|zip)$")


class UploadRefused(ValueError):
    """An upload that is not stored; ``field`` is the form field the message belongs to."""

    def __init__(self, field: str, code: str, **values: Any):
        super().__init__(code)
        self.field, self.code, self.values = field, code, values


@dataclass(frozen=True)
class Upload:
    path: Path
    file_name: str
    size: int


def kinds() -> tuple[str, ...]:
    return tuple(KINDS)


def clean_name(name: str | None) -> str:
    """The browser's file name, without a directory part or control characters, bounded."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[:MAX_NAME_CHARS]


def extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def store(folder: Path, stream: IO[bytes], file_name: str | None,
          max_bytes: int = MAX_UPLOAD_BYTES, extensions: tuple[str, ...] = EXTENSIONS) -> Upload:
    """Copy ``stream`` to ``folder/<uuid>.<ext>``; refuse (and keep nothing) a missing, empty,
    too large or wrongly named file."""
    name = clean_name(file_name)
    if not name:
        raise UploadRefused("file", "no_file")
    ext = extension(name)
    if ext not in extensions:
        raise UploadRefused("file", "extension", ext=ext)
    folder.mkdir(parents=True, exist_ok=True)
    sweep(folder)
    path = folder / f"{uuid.uuid4().hex}.{ext}"
    size = 0
    try:
        with open(path, "xb") as target:
            while chunk := stream.read(CHUNK_BYTES):
                size += len(chunk)
                if size > max_bytes:
                    raise UploadRefused("file", "too_large", limit=max_bytes)
                target.write(chunk)
        if size == 0:
            raise UploadRefused("file", "empty")
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Upload(path, name, size)


def is_upload(path: str | Path | None) -> bool:
    """Whether ``path`` names a stored upload (so it may be deleted)."""
    if not path:
        return False
    path = Path(path)
    return bool(_STORED.match(path.name)) and (path.parent / MARKER).exists()


def discard(path: str | Path | None) -> None:
    """Delete a stored upload (nothing else: the name must be one ``store`` gives)."""
    if is_upload(path):
        Path(path).unlink(missing_ok=True)


def sweep(folder: Path, keep_seconds: float = KEEP_SECONDS) -> int:
    """Delete uploads older than ``keep_seconds`` (a dry run never followed by an import)."""
    (folder / MARKER).touch(exist_ok=True)
    cutoff, removed = time.time() - keep_seconds, 0
    for path in folder.iterdir():
        if _STORED.match(path.name) and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


@dataclass(frozen=True)
class HistoryRow:
    at: Any
    actor: str | None
    kind: str
    file_name: str
    rows: int
    added: int
    changed: int
    unchanged: int


def history(session: Session, limit: int = 25, offset: int = 0) -> tuple[list[HistoryRow], int]:
    """The imports done (newest first), from the audit log, with the file names users gave:
    an upload's stored name is matched to its import job's ``file_name`` in SQL."""
    imports = (select(AuditEntry).where(AuditEntry.action == "data.import")
               .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
               .limit(limit).offset(offset).subquery())
    upload = Job.params["upload"].as_string()
    given = (select(func.max(Job.params["file_name"].as_string()))
             .where(Job.kind == "import", upload == imports.c.object_id)
             .correlate(imports).scalar_subquery())
    rows = session.execute(select(imports.c.at, imports.c.actor, imports.c.object_type,
                                  imports.c.details, given.label("given"))
                           .order_by(imports.c.at.desc(), imports.c.id.desc())).all()
    total = session.scalar(select(func.count()).select_from(AuditEntry)
                           .where(AuditEntry.action == "data.import"))
    return [HistoryRow(r.at, r.actor, r.object_type, r.given or (r.details or {}).get("file", ""),
                       *(int((r.details or {}).get(k) or 0)
                         for k in ("rows", "added", "changed", "unchanged")))
            for r in rows], total or 0
