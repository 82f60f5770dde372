"""Validating a whole pack: files, schemas, ids, then references across definitions."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Iterable

from engine.definitions.catalog import Catalog
from engine.definitions.documents import Document, read_document
from engine.definitions.form_checks import check_form
from engine.definitions.ruleset_checks import check_ruleset
from engine.definitions.schema_check import schema_problems
from engine.definitions.source import PACK_FILE, read_pack
from engine.definitions.workflow_checks import check_workflow
from engine.errors import Problem

SEMANTIC_CHECKS = {
    "form": lambda doc, catalog: check_form(doc),
    "ruleset": check_ruleset,
    "workflow": check_workflow,
}


@dataclass
class PackContents:
    """A pack as read: its ``pack.yaml`` and its definitions, in file order."""

    manifest: Document | None = None
    definitions: list[Document] = field(default_factory=list)
    unreadable: list[tuple[str, str]] = field(default_factory=list)

    @property
    def pack_id(self) -> str | None:
        return self.manifest.def_id if self.manifest else None


def load_pack(location: str | Path) -> tuple[PackContents, list[Problem]]:
    """Read and parse every file of the pack at ``location`` (no checks across files yet)."""
    files, problems = read_pack(location)
    contents = PackContents()
    for source in files:
        doc, doc_problems = read_document(source)
        problems += doc_problems
        if doc is None:
            if source.folder_kind:
                # Probably the definition the file is named after: refer to it as broken.
                contents.unreadable.append((source.folder_kind, PurePosixPath(source.path).stem))
            continue
        if doc.kind == "pack":
            contents.manifest = doc
        else:
            contents.definitions.append(doc)
    if contents.manifest is None and not problems:
        problems.append(Problem(file=PACK_FILE, message="the pack has no pack.yaml"))
    return contents, problems


def check_documents(docs: list[Document], context: Iterable[Document] = (),
                    unreadable: Iterable[tuple[str, str]] = ()) -> list[Problem]:
    """Schema, duplicate-id and reference problems of ``docs``, resolved against ``context``.

    ``context`` holds definitions published by other packs; they are re-checked too, so a
    change that breaks one of them (a removed ruleset its workflow needs) is reported.
    """
    problems: list[Problem] = []
    valid: list[Document] = []
    broken: list[Document] = []
    for doc in docs:
        found = schema_problems(doc)
        problems += found
        (broken if found else valid).append(doc)
    problems += _duplicate_ids(docs)
    ours = {d.key for d in docs}
    others = [d for d in context if d.key not in ours]
    catalog = Catalog.of([*valid, *others], [d.key for d in broken] + list(unreadable))
    for doc in [*valid, *others]:
        if doc.kind in SEMANTIC_CHECKS:
            problems += SEMANTIC_CHECKS[doc.kind](doc, catalog)
    return problems


def _duplicate_ids(docs: list[Document]) -> list[Problem]:
    first: dict[tuple, Document] = {}
    problems = []
    for doc in docs:
        if doc.def_id is None:
            continue
        if doc.key in first:
            problems.append(doc.problem(("id",), f"duplicate {doc.kind} id {doc.def_id!r}, "
                                                 f"also in {first[doc.key].file}"))
        else:
            first[doc.key] = doc
    return problems


def validate_pack(location: str | Path, context: Iterable[Document] = ()):
    """Read and fully check a pack; returns (contents, problems sorted by file and line)."""
    contents, problems = load_pack(location)
    if contents.manifest is not None:
        problems += schema_problems(contents.manifest)
    problems += check_documents(contents.definitions, context, contents.unreadable)
    return contents, sort_problems(problems)


def sort_problems(problems: Iterable[Problem]) -> list[Problem]:
    unique = dict.fromkeys(problems)
    return sorted(unique, key=lambda p: (p.file or "", p.line or 0, p.column or 0,
                                         p.path or "", p.message))
