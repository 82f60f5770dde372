"""Parsed definition documents that remember where each of their values came from."""
from __future__ import annotations

from dataclasses import dataclass, field
from difflib import get_close_matches
from os.path import commonprefix
from typing import Any, Iterable

from engine.definitions.source import SourceFile
from engine.definitions.yamlsafe import LineMap, json_path, parse_text
from engine.errors import Problem

KIND_LABEL = {"form": "form", "ruleset": "ruleset", "workflow": "workflow", "pack": "pack"}
FOLDER_OF = {"form": "forms", "ruleset": "rules", "workflow": "workflows"}


@dataclass
class Document:
    """One definition (or ``pack.yaml``) as read: content, source text and positions."""

    kind: str
    file: str
    content: Any
    source: str
    lines: LineMap = field(default_factory=LineMap)

    @property
    def format(self) -> str:
        return "json" if self.file.endswith(".json") else "yaml"

    @property
    def def_id(self) -> str | None:
        value = self.content.get("id") if isinstance(self.content, dict) else None
        return value if isinstance(value, str) else None

    @property
    def key(self) -> tuple[str, str | None]:
        return self.kind, self.def_id

    @property
    def label(self) -> str:
        return f"{self.kind} {self.def_id}" if self.def_id else self.kind

    def problem(self, path: Iterable, message: str, at_key: bool = False) -> Problem:
        """A problem located at the value at ``path`` (or at its key) inside this document."""
        path = tuple(path)
        line, column = self.lines.find(path, key=at_key) or (None, None)
        return Problem(file=self.file, line=line, column=column, definition=self.label,
                       path=json_path(path), message=message)


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` when ``name`` is close to one of ``known``, else ``''``."""
    known = [str(k) for k in known]
    same_start = [k for k in known if len(commonprefix([str(name), k])) >= 3]
    close = get_close_matches(str(name), same_start, n=1, cutoff=0.4) or \
        get_close_matches(str(name), known, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def read_document(source: SourceFile) -> tuple[Document | None, list[Problem]]:
    """Parse one pack file; the folder decides the kind, the content must agree."""
    parsed = parse_text(source.text, source.path)
    if parsed.problems:
        return None, parsed.problems
    kind = source.folder_kind or "pack"
    doc = Document(kind, source.path, parsed.content, source.text, parsed.lines)
    if not isinstance(parsed.content, dict):
        return None, [Problem(file=source.path, line=1, path="$",
                              message=f"a {kind} must be a mapping of keys to values")]
    declared = parsed.content.get("kind")
    if kind != "pack" and isinstance(declared, str) and declared != kind:
        return None, [doc.problem(("kind",), f"{FOLDER_OF[kind]}/ holds {kind} definitions, "
                                             f"this file declares kind {declared!r}")]
    return doc, []
