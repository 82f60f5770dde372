"""The set of definitions that references are resolved against, and shared check helpers."""
from __future__ import annotations

from dataclasses import dataclass, field

from engine.definitions.documents import Document
from engine.errors import ExpressionError, Problem
from engine.expr import check, parse

FIELD_TYPES = {
    "integer": "number", "number": "number", "boolean": "boolean", "date": "date",
}


@dataclass
class Catalog:
    """Definitions by kind and id: a pack being imported plus what is published elsewhere."""

    documents: dict[str, dict[str, Document]] = field(default_factory=dict)
    broken: set[tuple[str, str]] = field(default_factory=set)

    @classmethod
    def of(cls, docs, broken=()) -> "Catalog":
        """A catalog of valid ``docs``; ``broken`` (kind, id) keys are known, so references
        to them are not reported again as dangling."""
        catalog = cls(broken=set(broken))
        for doc in docs:
            if doc.def_id and doc.kind != "pack":
                catalog.documents.setdefault(doc.kind, {}).setdefault(doc.def_id, doc)
        return catalog

    def is_broken(self, kind: str, def_id: str) -> bool:
        return (kind, def_id) in self.broken

    def get(self, kind: str, def_id: str) -> Document | None:
        return self.documents.get(kind, {}).get(def_id)

    def ids(self, kind: str) -> list[str]:
        return sorted(self.documents.get(kind, {}))

    def forms_for(self, customer_types) -> list[Document]:
        """The forms whose ``customer_type`` is one of ``customer_types``."""
        wanted = set(customer_types or ())
        return [d for _, d in sorted(self.documents.get("form", {}).items())
                if d.content.get("customer_type") in wanted]


def check_expression(doc: Document, path: tuple, text: str, env: dict, problems: list[Problem],
                     expect=None):
    """Parse and type-check one expression of ``doc``; returns (ast, type) or None."""
    try:
        node = parse(text)
        return node, check(node, env, expect=expect)
    except ExpressionError as exc:
        problems.append(doc.problem(path, expression_message(text, exc)))
        return None


EXCERPT_LENGTH = 60


def expression_message(text: str, exc: ExpressionError) -> str:
    """``expression 'a +', position 3: <what is wrong>``; a long expression is quoted by an
    excerpt around the position."""
    where = f", position {exc.position + 1}" if exc.position is not None else ""
    return f"expression {excerpt(text, exc.position)}{where}: {exc.message[:200]}"


def excerpt(text: str, position: int | None = None) -> str:
    """``text`` quoted, or at most EXCERPT_LENGTH characters of it around ``position``."""
    if len(text) <= EXCERPT_LENGTH:
        return repr(text)
    start = max(0, min((position or 0) - EXCERPT_LENGTH // 2, len(text) - EXCERPT_LENGTH))
    part = text[start:start + EXCERPT_LENGTH]
    return (f"{'…' if start else ''}{part!r}{'…' if start + EXCERPT_LENGTH < len(text) else ''}"
            f" ({len(text)} characters)")
