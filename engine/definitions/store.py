"""Definitions in the database: immutable versions, one published per definition.

A changed document becomes a new version (content hash, author, time); publishing points the
definition at a version; a rollback is a new version copying an old one. Every change is
written to the audit log in the caller's transaction.
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import audit
from engine.definitions.documents import FOLDER_OF, Document
from engine.definitions.yamlsafe import parse_text
from engine.errors import Conflict, NotFound
from engine.models import Definition, DefinitionVersion, Pack

FORMAT_VERSION = 1
LOCAL_PACK = "local"


def canonical_json(content) -> str:
    """The stored form of a document: key order kept (it is meaningful), no spacing."""
    return json.dumps(content, ensure_ascii=False, separators=(",", ":"))


def content_hash(content) -> str:
    return hashlib.sha256(canonical_json(content).encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(timezone.utc)


LOCAL_PACK_SOURCE = (f"id: {LOCAL_PACK}\nversion: '0'\n"
                     "title: {zh: 在浏览器中创建的定义, en: Definitions made in the browser}\n")


def ensure_local_pack(session: Session) -> None:
    """The pack that definitions made outside any imported pack belong to (SPEC §3)."""
    if session.get(Pack, LOCAL_PACK) is not None:
        return
    content = {"id": LOCAL_PACK, "version": "0",
               "title": {"zh": "在浏览器中创建的定义", "en": "Definitions made in the browser"}}
    session.add(Pack(id=LOCAL_PACK, version="0", title=content["title"], description=None,
                     source=LOCAL_PACK_SOURCE, content_hash=content_hash(content),
                     imported_at=_now(), imported_by=None))
    session.flush()


def find_definition(session: Session, kind: str, def_id: str) -> Definition | None:
    return session.scalar(select(Definition).where(Definition.kind == kind,
                                                   Definition.def_id == def_id))


def get_definition(session: Session, kind: str, def_id: str) -> Definition:
    found = find_definition(session, kind, def_id)
    if found is None:
        known = session.scalars(select(Definition.def_id).where(Definition.kind == kind)).all()
        raise NotFound(kind, def_id, list(known))
    return found


def versions(session: Session, definition: Definition) -> list[DefinitionVersion]:
    return list(session.scalars(select(DefinitionVersion)
                                .where(DefinitionVersion.definition_id == definition.id)
                                .order_by(DefinitionVersion.number)))


def get_version(session: Session, definition: Definition, number: int) -> DefinitionVersion:
    found = session.scalar(select(DefinitionVersion).where(
        DefinitionVersion.definition_id == definition.id, DefinitionVersion.number == number))
    if found is None:
        raise NotFound(f"version of {definition.kind} {definition.def_id!r}", number)
    return found


def latest_version(session: Session, definition: Definition) -> DefinitionVersion | None:
    return session.scalar(select(DefinitionVersion)
                          .where(DefinitionVersion.definition_id == definition.id)
                          .order_by(DefinitionVersion.number.desc()).limit(1))


def published_version(session: Session, definition: Definition) -> DefinitionVersion | None:
    if definition.published_version_id is None:
        return None
    return session.get(DefinitionVersion, definition.published_version_id)


def add_version(session: Session, definition: Definition, content, source: str,
                source_format: str, author: str | None, note: str | None = None):
    """A new immutable version after the latest one."""
    number = (session.scalar(select(func.max(DefinitionVersion.number))
                             .where(DefinitionVersion.definition_id == definition.id)) or 0) + 1
    version = DefinitionVersion(definition_id=definition.id, number=number, content=content,
                                content_hash=content_hash(content), source=source,
                                source_format=source_format, format_version=FORMAT_VERSION,
                                author=author, created_at=_now(), note=note)
    session.add(version)
    session.flush()
    audit.record(session, author, "definition.version", definition.kind, definition.def_id,
                 {"version": number, "hash": version.content_hash, "note": note})
    return version


def save_document(session: Session, doc: Document, pack_id: str, author: str | None):
    """The version holding ``doc``: the latest one if its content is the same, else a new one."""
    definition = find_definition(session, doc.kind, doc.def_id)
    if definition is None:
        definition = Definition(kind=doc.kind, def_id=doc.def_id, pack_id=pack_id,
                                created_at=_now())
        session.add(definition)
        session.flush()
    elif definition.pack_id != pack_id:
        raise Conflict(f"{doc.kind} {doc.def_id!r} belongs to pack {definition.pack_id!r}")
    latest = latest_version(session, definition)
    if latest is not None and latest.content_hash == content_hash(doc.content):
        return definition, latest
    return definition, add_version(session, definition, doc.content, doc.source, doc.format,
                                   author)


def publish(session: Session, definition: Definition, version: DefinitionVersion,
            actor: str | None) -> None:
    """Point ``definition`` at ``version`` (callers validate the published set first)."""
    previous = published_version(session, definition)
    definition.published_version_id = version.id
    audit.record(session, actor, "definition.publish", definition.kind, definition.def_id,
                 {"version": version.number,
                  "previous_version": previous.number if previous else None})


def retire(session: Session, definition: Definition, actor: str | None) -> None:
    """Unpublish ``definition``, keeping its history."""
    previous = published_version(session, definition)
    definition.published_version_id = None
    audit.record(session, actor, "definition.retire", definition.kind, definition.def_id,
                 {"previous_version": previous.number if previous else None})


def version_document(definition: Definition, version: DefinitionVersion,
                     pack_id: str | None = None) -> Document:
    """A stored version as a Document (positions recovered from its source text)."""
    ext = "json" if version.source_format == "json" else "yaml"
    file = f"{FOLDER_OF[definition.kind]}/{definition.def_id}.{ext}"
    if pack_id:
        file = f"{pack_id}:{file}"
    lines = parse_text(version.source, file).lines
    return Document(definition.kind, file, version.content, version.source, lines)


def published_documents(session: Session, exclude_pack: str | None = None) -> list[Document]:
    """Every published definition as a Document, optionally leaving one pack out."""
    query = (select(Definition, DefinitionVersion)
             .join(DefinitionVersion, Definition.published_version_id == DefinitionVersion.id)
             .order_by(Definition.kind, Definition.def_id))
    if exclude_pack is not None:
        query = query.where(Definition.pack_id != exclude_pack)
    return [version_document(d, v, d.pack_id) for d, v in session.execute(query)]
