"""Definitions as the studio works on them: the overview of every definition, new definitions
from a starter text or as a copy, drafts saved from edited text (checked like ``pack import``),
and the differences between two versions in words and as text.

Drafts are ordinary versions that are not published: saving one never touches the published
version; publishing and rollback go through ``engine.definitions.lifecycle``.
"""
from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from engine.definitions import lifecycle, store
from engine.definitions.changes import describe_changes
from engine.definitions.documents import FOLDER_OF
from engine.definitions.source import MAX_FILE_BYTES
from engine.definitions.yamlsafe import parse_text
from engine.errors import Conflict, InvalidInput, Problem
from engine.models import AuditEntry, Definition, DefinitionVersion
from engine.models.definitions import DEFINITION_KINDS

ID_PATTERN = re.compile(r"[a-z][a-z0-9_]*\Z")
MAX_ID_LENGTH = 100


@dataclass(frozen=True)
class DefinitionRow:
    """One definition on the studio's home: where it comes from and where it stands."""

    kind: str
    def_id: str
    pack_id: str
    title: object
    published: int | None
    latest: int
    drafts: int                 # versions newer than the published one
    changed_by: str | None
    changed_at: datetime | None
    last_action: str | None


def overview(session: Session) -> list[DefinitionRow]:
    """Every definition with its published and latest version and its last audited change."""
    latest = (select(DefinitionVersion.definition_id,
                     func.max(DefinitionVersion.number).label("number"))
              .group_by(DefinitionVersion.definition_id).subquery())
    last_audit = (select(AuditEntry.object_type, AuditEntry.object_id,
                         func.max(AuditEntry.id).label("id"))
                  .where(AuditEntry.object_type.in_(DEFINITION_KINDS))
                  .group_by(AuditEntry.object_type, AuditEntry.object_id).subquery())
    latest_version = aliased(DefinitionVersion)
    published_version = aliased(DefinitionVersion)
    query = (select(Definition.kind, Definition.def_id, Definition.pack_id,
                    published_version.number, latest.c.number, latest_version.content,
                    latest_version.author, latest_version.created_at,
                    AuditEntry.actor, AuditEntry.at, AuditEntry.action)
             .join(latest, latest.c.definition_id == Definition.id)
             .join(latest_version, (latest_version.definition_id == Definition.id)
                   & (latest_version.number == latest.c.number))
             .outerjoin(published_version,
                        published_version.id == Definition.published_version_id)
             .outerjoin(last_audit, (last_audit.c.object_type == Definition.kind)
                        & (last_audit.c.object_id == Definition.def_id))
             .outerjoin(AuditEntry, AuditEntry.id == last_audit.c.id)
             .order_by(Definition.kind, Definition.def_id))
    rows = []
    for (kind, def_id, pack_id, published, number, content, author, created, actor, at,
         action) in session.execute(query):
        later = at is not None and (created is None or at >= created)
        rows.append(DefinitionRow(
            kind, def_id, pack_id, content.get("title") if isinstance(content, dict) else None,
            published, number, number - (published or 0),
            actor if later else author, at if later else created, action if later else None))
    return rows


def file_name(kind: str, def_id: str, file_format: str) -> str:
    return f"{FOLDER_OF[kind]}/{def_id}.{'json' if file_format == 'json' else 'yaml'}"


def _refuse(kind: str, def_id: str, file_format: str, message: str, line: int | None = None):
    raise InvalidInput([Problem(file=file_name(kind, def_id, file_format), line=line,
                                message=message)], subject=f"{kind} draft")


def check_new_id(session: Session, kind: str, def_id: str) -> str | None:
    """Why ``def_id`` cannot name a new ``kind``, or None."""
    if not def_id or len(def_id) > MAX_ID_LENGTH or not ID_PATTERN.match(def_id):
        return (f"an id is a lowercase letter followed by lowercase letters, digits or '_' "
                f"(at most {MAX_ID_LENGTH} characters)")
    if store.find_definition(session, kind, def_id) is not None:
        return f"{kind} {def_id!r} already exists"
    return None


def save_text(session: Session, kind: str, def_id: str, text: str, actor: str | None,
              file_format: str = "yaml", pack_id: str = store.LOCAL_PACK):
    """Save edited text as a draft of ``kind`` ``def_id`` after the checks of ``pack import``
    (size limit, safe parsing, schema, references, limits). Invalid text stores nothing and
    raises ``InvalidInput`` listing every problem with its line; the text must keep its
    kind and id (a different id is a new definition, made from the studio's home)."""
    if len(text.encode()) > MAX_FILE_BYTES:
        _refuse(kind, def_id, file_format,
                f"file is larger than the limit of {MAX_FILE_BYTES} bytes")
    parsed = parse_text(text, file_name(kind, def_id, file_format))
    named = parsed.content.get("id") if isinstance(parsed.content, dict) else None
    if not parsed.problems and isinstance(named, str) and named != def_id:
        line = (parsed.lines.find(("id",)) or (None,))[0]
        _refuse(kind, def_id, file_format,
                f"the id of this {kind} is {def_id!r}; to make {named!r}, create a new "
                "definition or a copy from the studio's home", line)
    try:
        version = lifecycle.save_draft(session, kind, text, actor, file_format, pack_id)
    except InvalidInput as exc:
        named = file_name(kind, def_id, file_format)
        draft = file_name(kind, "draft", file_format)
        problems = [_renamed(p, draft, named) for p in exc.problems]
        raise InvalidInput(problems, subject=f"{kind} {def_id} draft") from None
    except Conflict as exc:
        _refuse(kind, def_id, file_format, str(exc))
    return version


def _renamed(problem: Problem, old: str, new: str) -> Problem:
    if problem.file != old:
        return problem
    return Problem(file=new, line=problem.line, column=problem.column,
                   definition=problem.definition, path=problem.path, message=problem.message,
                   row=problem.row)


def starter_text(session: Session, kind: str, def_id: str) -> str:
    """A minimal valid definition of ``kind`` named ``def_id``, to start from."""
    if kind == "form":
        return (f"kind: form\nid: {def_id}\ntitle: {{zh: 新表单, en: New form}}\n"
                f"customer_type: {def_id}\n"
                "fields:\n"
                "  - key: note\n    label: {zh: 备注, en: Note}\n    type: text\n")
    if kind == "ruleset":
        return (f"kind: ruleset\nid: {def_id}\ntitle: {{zh: 新规则, en: New ruleset}}\n"
                "applies_to: [hospital]\nwindow: {months: 12}\n"
                "metrics:\n  revenue: {aggregate: sum, of: orders.amount}\n"
                "axes:\n  value:\n    label: {zh: 价值, en: Value}\n    items:\n"
                "      - {metric: revenue, weight: 1, score: percentile}\n"
                "classification:\n  tiers:\n"
                "    - {id: key_account, label: {zh: 重点客户, en: Key account}, "
                "color: \"#d1495b\", when: value >= 50}\n"
                "    - {id: other, label: {zh: 其他客户, en: Other}, color: \"#8d99ae\"}\n")
    ruleset_id, segments = _first_ruleset(session)
    on_enter = "".join(f"  {segment}: [review]\n" for segment in segments)
    return (f"kind: workflow\nid: {def_id}\ntitle: {{zh: 新流程, en: New workflow}}\n"
            f"ruleset: {ruleset_id}\n"
            f"on_enter:\n{on_enter}"
            "tasks:\n  review:\n"
            "    title: {zh: \"回顾{{ customer.name }}的分类\", "
            "en: \"Review the segment of {{ customer.name }}\"}\n"
            "    kind: review\n    due_in_days: 14\n")


def _first_ruleset(session: Session) -> tuple[str, list[str]]:
    for doc in store.published_documents(session):
        if doc.kind == "ruleset":
            classification = doc.content.get("classification", {})
            segments = (list(classification.get("segments", {}))
                        or [t["id"] for t in classification.get("tiers", [])])
            return doc.def_id, segments
    return "my_ruleset", ["default"]


_YAML_ID = re.compile(r"^id:[ \t]*[^\n#]*?(?=[ \t]*(#|$))", re.M)


def copied_text(session: Session, kind: str, source_id: str, new_id: str) -> tuple[str, str]:
    """(text, format) of the latest version of ``source_id`` renamed to ``new_id``; YAML keeps
    its comments."""
    definition = store.get_definition(session, kind, source_id)
    version = (store.published_version(session, definition)
               or store.latest_version(session, definition))
    if version.source_format == "json":
        content = json.loads(version.source)
        content["id"] = new_id
        return json.dumps(content, ensure_ascii=False, indent=2) + "\n", "json"
    text, count = _YAML_ID.subn(f"id: {new_id}", version.source, count=1)
    if count == 0:
        _refuse(kind, source_id, "yaml", "the id of the copied definition could not be found "
                                         "on a line of its own; copy its text by hand")
    return text, "yaml"


def create(session: Session, kind: str, def_id: str, actor: str | None,
           copy_of: str | None = None):
    """A new definition in the ``local`` pack, as an unpublished first version."""
    problem = check_new_id(session, kind, def_id)
    if problem:
        _refuse(kind, def_id, "yaml", problem)
    if copy_of:
        text, file_format = copied_text(session, kind, copy_of, def_id)
    else:
        text, file_format = starter_text(session, kind, def_id), "yaml"
    return save_text(session, kind, def_id, text, actor, file_format)


@dataclass(frozen=True)
class DiffLine:
    kind: str       # "same", "added", "removed", "hunk"
    old: int | None
    new: int | None
    text: str


def text_diff(old: str, new: str, context: int = 3) -> list[DiffLine]:
    """The changed lines of two texts with ``context`` lines around them, numbered."""
    a, b = old.splitlines(), new.splitlines()
    lines: list[DiffLine] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for group in matcher.get_grouped_opcodes(context):
        first = group[0]
        lines.append(DiffLine("hunk", first[1] + 1, first[3] + 1,
                              f"@@ -{first[1] + 1} +{first[3] + 1} @@"))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [DiffLine("same", i + 1, j + 1, a[i]) for i, j in
                          zip(range(i1, i2), range(j1, j2))]
                continue
            lines += [DiffLine("removed", i + 1, None, a[i]) for i in range(i1, i2)]
            lines += [DiffLine("added", None, j + 1, b[j]) for j in range(j1, j2)]
    return lines


def compare(old: DefinitionVersion, new: DefinitionVersion) -> tuple[list[str], list[DiffLine]]:
    """The differences from ``old`` to ``new``: in words (as ``pack import`` prints them) and
    as a text diff of their sources."""
    return describe_changes(old.content, new.content), text_diff(old.source, new.source)
