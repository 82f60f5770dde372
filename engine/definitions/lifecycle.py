"""Drafting, publishing and rolling back single definitions, checked against the published set."""
from __future__ import annotations

from sqlalchemy.orm import Session

from engine.definitions import store
from engine.definitions.documents import FOLDER_OF, read_document
from engine.definitions.source import SourceFile
from engine.definitions.validate import check_documents, sort_problems
from engine.errors import InvalidInput


def _check_against_published(session: Session, docs) -> None:
    problems = sort_problems(check_documents(docs, store.published_documents(session)))
    if problems:
        raise InvalidInput(problems, subject=docs[0].label)


def save_draft(session: Session, kind: str, text: str, actor: str | None,
               file_format: str = "yaml", pack_id: str = store.LOCAL_PACK):
    """Store edited definition text as a new (unpublished) version after checking it whole."""
    name = f"{FOLDER_OF[kind]}/draft.{'json' if file_format == 'json' else 'yaml'}"
    doc, problems = read_document(SourceFile(name, text))
    if doc is not None:
        problems += check_documents([doc], store.published_documents(session))
    if problems:
        raise InvalidInput(sort_problems(problems), subject=f"{kind} draft")
    existing = store.find_definition(session, kind, doc.def_id)
    owner = existing.pack_id if existing is not None else pack_id
    if owner == store.LOCAL_PACK:
        store.ensure_local_pack(session)
    _, version = store.save_document(session, doc, owner, actor)
    return version


def publish_version(session: Session, kind: str, def_id: str, number: int,
                    actor: str | None):
    """Publish version ``number`` of a definition if the published set stays consistent."""
    definition = store.get_definition(session, kind, def_id)
    version = store.get_version(session, definition, number)
    _check_against_published(session, [store.version_document(definition, version)])
    store.publish(session, definition, version, actor)
    return version


def rollback(session: Session, kind: str, def_id: str, number: int, actor: str | None):
    """A new version copying version ``number``, published; the history keeps both."""
    definition = store.get_definition(session, kind, def_id)
    old = store.get_version(session, definition, number)
    _check_against_published(session, [store.version_document(definition, old)])
    new = store.add_version(session, definition, old.content, old.source, old.source_format,
                            actor, note=f"rollback to version {number}")
    store.publish(session, definition, new, actor)
    return new
