"""Exceptions and problem records shared by every layer; imports nothing of ours."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input, located as precisely as the input allows.

    ``file`` is a path inside a pack (``rules/abc_tiers.yaml``) or a data file,
    ``definition`` names the definition (``ruleset abc_tiers``), ``path`` is a JSON path
    (``$.axes.value.items[2].score``), ``line``/``column`` are 1-based, ``row`` is a data row.
    """

    file: str | None = None
    line: int | None = None
    column: int | None = None
    definition: str | None = None
    path: str | None = None
    message: str = ""
    row: int | None = None

    def location(self) -> str:
        """``file:line:column`` (or ``file:row N``), as much as is known."""
        parts = [self.file or "<input>"]
        if self.row is not None:
            parts.append(f"row {self.row}")
        elif self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def __str__(self) -> str:
        where = [self.location()]
        if self.definition:
            where.append(self.definition)
        if self.path:
            where.append(self.path)
        return f"{': '.join(where)}: {self.message}"


class KamflowError(Exception):
    """Base class of the errors kamflow raises on purpose."""


class InvalidInput(KamflowError, ValueError):
    """An input (pack, definition, data file, form submission) was rejected whole."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...], subject: str = "input"):
        self.problems = tuple(problems)
        self.subject = subject
        count = len(self.problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"{subject} rejected, {count} {noun}:\n{lines}")


class ExpressionError(KamflowError, ValueError):
    """An expression outside the language; ``position`` is a 0-based offset into the text."""

    def __init__(self, message: str, position: int | None = None, text: str | None = None):
        self.message = message
        self.position = position
        self.text = text
        where = f" at position {position + 1}" if position is not None else ""
        super().__init__(f"{message}{where}")


class NotFound(KamflowError, LookupError):
    """A named thing (definition, version, run, customer, user) does not exist."""

    def __init__(self, what: str, name: object, known: list[str] | None = None):
        self.what, self.name = what, name
        hint = ""
        if known:
            from difflib import get_close_matches

            close = get_close_matches(str(name), known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
        super().__init__(f"no {what} {name!r}{hint}")


class Conflict(KamflowError, ValueError):
    """The request contradicts stored state (an id owned by another pack, a stale version)."""
