"""Drafting, publishing and rolling back single definitions, checked against the published set.

A publish (or rollback) carries the admin's note into its audit record, which is the history
the studio shows; a ruleset version that breaks golden expectations is published only when
the admin confirms it, and the broken expectations are recorded with the publish.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from engine import audit
from engine.db import transaction
from engine.definitions import golden, store
from engine.definitions.documents import FOLDER_OF, read_document
from engine.definitions.source import SourceFile
from engine.definitions.validate import check_documents, sort_problems
from engine.errors import Conflict, InvalidInput, Problem
from engine.models import AuditEntry

NOTE_LIMIT = 500
HISTORY_ACTIONS = ("definition.publish", "definition.retire")


class NoteTooLong(InvalidInput):
    """The note of a publish is longer than the history keeps."""

    def __init__(self, length: int):
        super().__init__([Problem(path="note", message=f"the note is {length} characters long; "
                                                       f"at most {NOTE_LIMIT}")],
                         subject="publish note")


class GoldenExpectationsBroken(Conflict):
    """The version to publish would classify pinned customers otherwise than expected."""

    def __init__(self, kind: str, def_id: str, number: int,
                 broken: list[golden.BrokenExpectation]):
        self.kind, self.def_id, self.number, self.broken = kind, def_id, number, broken
        names = ", ".join(f"{b.customer_code} ({b.expected} → {b.actual or 'out of scope'})"
                          for b in broken)
        super().__init__(f"version {number} of {kind} {def_id!r} breaks {len(broken)} golden "
                         f"expectation(s): {names}; publish again with confirmation")


@dataclass(frozen=True)
class PublishEvent:
    """One publish, rollback or retirement of a definition as its history lists it."""

    at: dt.datetime
    actor: str | None
    action: str
    version: int | None
    previous_version: int | None
    note: str | None
    golden_broken: tuple[str, ...]


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
                    actor: str | None, note: str | None = None,
                    golden_broken: list[golden.BrokenExpectation] = ()):
    """Publish version ``number`` of a definition if the published set stays consistent."""
    note = checked_note(note)
    definition = store.get_definition(session, kind, def_id)
    version = store.get_version(session, definition, number)
    _check_against_published(session, [store.version_document(definition, version)])
    _publish(session, definition, version, actor, note, golden_broken)
    return version


def rollback(session: Session, kind: str, def_id: str, number: int, actor: str | None,
             note: str | None = None, golden_broken: list[golden.BrokenExpectation] = ()):
    """A new version copying version ``number``, published; the history keeps both."""
    note = checked_note(note)
    definition = store.get_definition(session, kind, def_id)
    old = store.get_version(session, definition, number)
    _check_against_published(session, [store.version_document(definition, old)])
    new = store.add_version(session, definition, old.content, old.source, old.source_format,
                            actor, note=f"rollback to version {number}")
    _publish(session, definition, new, actor, note, golden_broken)
    return new


def checked_note(note: str | None) -> str | None:
    """The note of a publish, stripped (None when empty), refused when too long."""
    note = (note or "").strip() or None
    if note is not None and len(note) > NOTE_LIMIT:
        raise NoteTooLong(len(note))
    return note


def _publish(session: Session, definition, version, actor: str | None, note: str | None,
             golden_broken) -> None:
    """``store.publish`` with the note and the confirmed golden failures in the audit record."""
    previous = store.published_version(session, definition)
    definition.published_version_id = version.id
    details = {"version": version.number,
               "previous_version": previous.number if previous else None}
    if note is not None:
        details["note"] = note
    if golden_broken:
        details["golden_broken"] = [{"customer": b.customer_code, "expected": b.expected,
                                     "actual": b.actual} for b in golden_broken]
    audit.record(session, actor, "definition.publish", definition.kind, definition.def_id,
                 details)


def golden_breaks(engine: Engine, kind: str, def_id: str,
                  number: int) -> list[golden.BrokenExpectation]:
    """The golden expectations version ``number`` breaks (rulesets only; a dry run)."""
    if kind != "ruleset":
        return []
    return golden.draft_breaks(engine, def_id, number)


def publish_confirmed(engine: Engine, kind: str, def_id: str, number: int, actor: str | None,
                      note: str | None = None, confirmed: bool = False,
                      rolling_back: bool = False) -> int:
    """Publish (or roll back to) version ``number`` with ``note``; returns the published
    version's number. Broken golden expectations raise ``GoldenExpectationsBroken`` unless
    ``confirmed``, and are then recorded with the publish."""
    checked_note(note)
    with Session(engine) as session:   # unknown definition or version: refused before a run
        store.get_version(session, store.get_definition(session, kind, def_id), number)
    broken = golden_breaks(engine, kind, def_id, number)
    if broken and not confirmed:
        raise GoldenExpectationsBroken(kind, def_id, number, broken)
    action = rollback if rolling_back else publish_version
    with transaction(engine) as session:
        return action(session, kind, def_id, number, actor, note, broken).number


def publish_history(session: Session, kind: str, def_id: str,
                    limit: int = 100) -> list[PublishEvent]:
    """The publishes, rollbacks and retirements of a definition, newest first."""
    rows = session.scalars(
        select(AuditEntry).where(AuditEntry.object_type == kind, AuditEntry.object_id == def_id,
                                 AuditEntry.action.in_(HISTORY_ACTIONS))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit))
    return [_event(entry) for entry in rows]


def _event(entry: AuditEntry) -> PublishEvent:
    details = entry.details if isinstance(entry.details, dict) else {}
    action = entry.action.removeprefix("definition.")
    broken = tuple(str(b.get("customer")) for b in details.get("golden_broken") or []
                   if isinstance(b, dict))
    note = details.get("note")
    return PublishEvent(entry.at, entry.actor, action, _int(details.get("version")),
                        _int(details.get("previous_version")),
                        note if isinstance(note, str) else None, broken)


def _int(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
