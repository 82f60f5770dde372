"""Definition packs: import with a diff (all-or-nothing), deterministic export, listing."""
from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from engine import audit
from engine.db import transaction
from engine.definitions import store
from engine.definitions.documents import FOLDER_OF
from engine.definitions.source import PACK_FILE
from engine.definitions.validate import PackContents, load_pack, check_documents, sort_problems
from engine.definitions.schema_check import schema_problems
from engine.errors import InvalidInput, NotFound, Problem
from engine.definitions.changes import describe_changes
from engine.models import Definition, Pack

ADDED, CHANGED, UNCHANGED, REMOVED = "added", "changed", "unchanged", "removed"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class PlanEntry:
    kind: str
    def_id: str
    status: str
    changes: tuple[str, ...] = ()       # what changed, in words (changed entries)


@dataclass
class ImportPlan:
    """What importing a pack does (or did): one entry per definition, and the manifest."""

    pack_id: str
    pack_status: str
    entries: list[PlanEntry] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for e in self.entries if e.status == status)

    @property
    def is_noop(self) -> bool:
        return self.pack_status == UNCHANGED and all(e.status == UNCHANGED for e in self.entries)

    @property
    def status(self) -> str:
        """The pack as a whole: added, changed when anything in it changed, or unchanged."""
        if self.pack_status == ADDED:
            return ADDED
        return UNCHANGED if self.is_noop else CHANGED


def _checked_contents(session: Session, location) -> PackContents:
    """The pack at ``location``, fully valid beside the other packs' published definitions."""
    contents, problems = load_pack(location)
    if contents.manifest is not None:
        problems += schema_problems(contents.manifest)
    pack_id = contents.pack_id
    context = store.published_documents(session, exclude_pack=pack_id)
    problems += check_documents(contents.definitions, context, contents.unreadable)
    problems += _ownership_problems(session, contents)
    if problems:
        raise InvalidInput(sort_problems(problems), subject=f"pack {location}")
    return contents


def _ownership_problems(session: Session, contents: PackContents):
    """Ids are unique per kind across packs: a live definition of another pack cannot move."""
    problems = []
    for doc in contents.definitions:
        existing = store.find_definition(session, doc.kind, doc.def_id)
        if (existing is not None and existing.pack_id != contents.pack_id
                and existing.published_version_id is not None):
            problems.append(doc.problem(("id",), f"{doc.kind} id {doc.def_id!r} already belongs "
                                                 f"to pack {existing.pack_id!r}"))
    return problems


def _status(definition: Definition | None, published, doc) -> str:
    if definition is None or published is None:
        return ADDED
    return UNCHANGED if published.content_hash == store.content_hash(doc.content) else CHANGED


def plan_import(session: Session, contents: PackContents) -> ImportPlan:
    """The diff between ``contents`` and what its pack has published now."""
    pack = session.get(Pack, contents.pack_id)
    manifest_hash = store.content_hash(contents.manifest.content)
    pack_status = ADDED if pack is None else (
        UNCHANGED if pack.content_hash == manifest_hash else CHANGED)
    plan = ImportPlan(contents.pack_id, pack_status)
    incoming = set()
    for doc in sorted(contents.definitions, key=lambda d: (d.kind, d.def_id)):
        definition = store.find_definition(session, doc.kind, doc.def_id)
        published = store.published_version(session, definition) if definition else None
        status = _status(definition, published, doc)
        changes = describe_changes(published.content, doc.content) if status == CHANGED else []
        plan.entries.append(PlanEntry(doc.kind, doc.def_id, status, tuple(changes)))
        incoming.add(doc.key)
    for definition in _live_definitions(session, contents.pack_id):
        if (definition.kind, definition.def_id) not in incoming:
            plan.entries.append(PlanEntry(definition.kind, definition.def_id, REMOVED))
    return plan


def _live_definitions(session: Session, pack_id: str) -> list[Definition]:
    return list(session.scalars(select(Definition).where(
        Definition.pack_id == pack_id, Definition.published_version_id.is_not(None))
        .order_by(Definition.kind, Definition.def_id)))


def _apply(session: Session, contents: PackContents, plan: ImportPlan, actor: str | None):
    _save_manifest(session, contents, actor)
    by_key = {d.key: d for d in contents.definitions}
    for entry in plan.entries:
        if entry.status == REMOVED:
            store.retire(session, store.get_definition(session, entry.kind, entry.def_id), actor)
        elif entry.status in (ADDED, CHANGED):
            definition, version = store.save_document(session, by_key[(entry.kind, entry.def_id)],
                                                      contents.pack_id, actor)
            store.publish(session, definition, version, actor)
    audit.record(session, actor, "pack.import", "pack", contents.pack_id,
                 {"status": plan.pack_status,
                  "definitions": {f"{e.kind}:{e.def_id}": e.status for e in plan.entries}})


def _save_manifest(session: Session, contents: PackContents, actor: str | None) -> None:
    manifest = contents.manifest.content
    pack = session.get(Pack, contents.pack_id) or Pack(id=contents.pack_id)
    pack.version = str(manifest["version"])
    pack.title = manifest["title"]
    pack.description = manifest.get("description")
    pack.source = contents.manifest.source
    pack.content_hash = store.content_hash(manifest)
    pack.imported_at = datetime.now(timezone.utc)
    pack.imported_by = actor
    session.add(pack)
    session.flush()


def import_pack(engine: Engine, location, actor: str | None = None,
                dry_run: bool = False) -> ImportPlan:
    """Validate the whole pack, then apply its diff in one transaction (nothing on dry run)."""
    with transaction(engine) as session:
        contents = _checked_contents(session, location)
        plan = plan_import(session, contents)
        if not dry_run and not plan.is_noop:
            _apply(session, contents, plan, actor)
    return plan


def pack_files(session: Session, pack_id: str) -> list[tuple[str, str]]:
    """(path, text) of every file an export of ``pack_id`` holds, in a fixed order."""
    pack = session.get(Pack, pack_id)
    if pack is None:
        known = session.scalars(select(Pack.id)).all()
        raise NotFound("pack", pack_id, list(known))
    files = [(PACK_FILE, pack.source)]
    for definition in _live_definitions(session, pack_id):
        version = store.published_version(session, definition)
        ext = "json" if version.source_format == "json" else "yaml"
        files.append((f"{FOLDER_OF[definition.kind]}/{definition.def_id}.{ext}", version.source))
    return sorted(files)


def export_pack(engine: Engine, pack_id: str, destination: str | Path) -> list[str]:
    """Write the pack as a folder or, for a ``.zip`` path, a byte-reproducible archive."""
    destination = Path(destination)
    with Session(engine) as session:
        files = pack_files(session, pack_id)
    if destination.suffix.lower() == ".zip":
        _write_zip(destination, files)
    else:
        _write_folder(destination, files)
    return [path for path, _ in files]


def _write_zip(destination: Path, files) -> None:
    destination.parent.mkdir(parents=True, exist_ok=True)
    write_zip(destination, files)


def write_zip(target, files) -> None:
    """The byte-reproducible archive of ``files`` ((path, text) pairs) into a path or a binary
    file object."""
    with zipfile.ZipFile(target, "w") as archive:
        for path, text in files:
            info = zipfile.ZipInfo(path, date_time=_ZIP_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text.encode(), compresslevel=9)


def _write_folder(destination: Path, files) -> None:
    if destination.exists() and any(destination.iterdir()):
        raise InvalidInput([_not_empty(destination)], subject=f"export to {destination}")
    for path, text in files:
        target = destination / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(text.encode())


def _not_empty(destination: Path) -> Problem:
    return Problem(file=str(destination), message="the folder is not empty; export into a new "
                                                  "folder or a .zip")


@dataclass(frozen=True)
class PackSummary:
    pack_id: str
    version: str
    title: object
    definitions: dict
    imported_at: datetime | None


def list_packs(engine: Engine) -> list[PackSummary]:
    """Every pack with its count of live definitions per kind."""
    with Session(engine) as session:
        summaries = []
        for pack in session.scalars(select(Pack).order_by(Pack.id)):
            counts: dict[str, int] = {}
            for definition in _live_definitions(session, pack.id):
                counts[definition.kind] = counts.get(definition.kind, 0) + 1
            summaries.append(PackSummary(pack.id, pack.version, pack.title, counts,
                                         pack.imported_at))
        return summaries
