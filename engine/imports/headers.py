"""Which column a header of a data file names: the column's own name, a form field's key, a
name the exporting ERP uses (``headers.yaml``), a form field's label, or the header a
``--columns`` mapping gives it.

Headers are compared after trimming and NFKC normalisation (full-width ``ＡＭＯＵＮＴ`` is
``AMOUNT``), Latin letters in any case. When a header could name two things, the first of
``RANKS`` wins; a loser that would have filled another column is told in a note, and two
labels of the same rank naming different fields make the header ambiguous.
"""
from __future__ import annotations

import difflib
import functools
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml

from engine.forms import WHITE_SPACE
from engine.imports.kinds import KINDS, Kind

# Loaded beside this module (package data: engine/imports/headers.yaml).
TABLE = Path(__file__).with_name("headers.yaml")

MAPPED, OWN, FIELD, ACCEPTED, LABEL = range(5)
RANKS = {MAPPED: "the --columns mapping", OWN: "the column's own name",
         FIELD: "a form field's key", ACCEPTED: "an accepted name", LABEL: "a form field's label"}


def normal(header: str) -> str:
    """A header as it is compared: NFKC, trimmed, case-folded."""
    return unicodedata.normalize("NFKC", header).strip(WHITE_SPACE).casefold()


@functools.cache
def accepted_names() -> dict[str, dict[str, tuple[str, ...]]]:
    """Kind → column → its accepted names (beside its own), from ``headers.yaml``, checked."""
    data = yaml.safe_load(TABLE.read_text(encoding="utf-8"))
    problems = table_problems(data)
    if problems:
        raise RuntimeError(f"{TABLE}: " + "; ".join(problems))
    return {kind: {column: tuple(names) for column, names in columns.items()}
            for kind, columns in data.items()}


def table_problems(data) -> list[str]:
    """What is wrong with a table of accepted names (``headers.yaml``'s shape)."""
    if not isinstance(data, dict):
        return ["expected a mapping of import kind to columns"]
    problems = []
    for kind, columns in data.items():
        if kind not in KINDS:
            problems.append(f"{kind}: not an import kind ({', '.join(KINDS)})")
            continue
        if not isinstance(columns, dict):
            problems.append(f"{kind}: expected a mapping of column to names")
            continue
        problems.extend(_kind_problems(KINDS[kind], columns))
    return problems


def _kind_problems(kind: Kind, columns: dict) -> list[str]:
    problems = []
    own = {normal(c): c for c in kind.column_names}
    seen: dict[str, str] = {}
    for column, names in columns.items():
        if column not in kind.column_names:
            problems.append(f"{kind.name}.{column}: not a column of {kind.name}")
            continue
        if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
            problems.append(f"{kind.name}.{column}: expected a list of names")
            continue
        for name in names:
            key = normal(name)
            if key in own:
                problems.append(f"{kind.name}.{column}: {name!r} is column {own[key]}'s own name")
            elif seen.setdefault(key, column) != column:
                problems.append(f"{kind.name}.{column}: {name!r} is also a name of {seen[key]}")
    return problems


@dataclass(frozen=True)
class Claim:
    """One thing a header name may mean: ``target`` (a column or field key) by ``rank``."""

    rank: int
    target: str
    spelled: str


@dataclass(frozen=True)
class Found:
    """What a header names (``target``), with a ``note`` if it could have named another
    column, or ``ambiguous`` (the problem) if it names two things at once."""

    target: str | None = None
    note: str | None = None
    ambiguous: str | None = None


class HeaderNames:
    """Every name the headers of one import may use, and what each names."""

    def __init__(self, kind: Kind, field_keys=(), labels=(), mapping=None):
        self.kind = kind
        self.field_keys = frozenset(field_keys)
        self.mapping_file = mapping.file if mapping else None
        self.claims: dict[str, list[Claim]] = {}
        for column, header in (mapping.headers.items() if mapping else ()):
            self._add(header, MAPPED, column)
        for column in kind.column_names:
            self._add(column, OWN, column)
        for key in sorted(self.field_keys):
            self._add(key, FIELD, key)
        for column, names in accepted_names().get(kind.name, {}).items():
            for name in names:
                self._add(name, ACCEPTED, column)
        for label, key in labels:
            self._add(label, LABEL, key)

    def _add(self, name: str, rank: int, target: str) -> None:
        claims = self.claims.setdefault(normal(name), [])
        if not any(c.rank == rank and c.target == target for c in claims):
            claims.append(Claim(rank, target, name))

    def what(self, target: str) -> str:
        return f"column {target}" if target in self.kind.column_names else f"form field {target}"

    def find(self, header: str) -> Found | None:
        """What ``header`` names, or ``None`` if nothing."""
        claims = sorted(self.claims.get(normal(header), ()), key=lambda c: c.rank)
        if not claims:
            return None
        best = claims[0].rank
        winners = sorted({c.target for c in claims if c.rank == best})
        if len(winners) > 1:
            # Only labels can: the table, the kinds and the mapping name each thing once.
            return Found(ambiguous=f"expected a header naming one field, got {header!r}, the "
                                   f"label of form fields {' and '.join(winners)} (name the "
                                   "column by the field's key)")
        target = winners[0]
        losers = [c for c in claims if c.target != target]
        if best == MAPPED or not losers:
            return Found(target)
        loser = losers[0]
        return Found(target, note=f"header {header!r} is read as {self.what(target)} "
                                  f"({RANKS[best]}), not as {self.what(loser.target)} "
                                  f"({RANKS[loser.rank]})")

    def unknown(self, header: str) -> str:
        """The problem of a header that names nothing, with the closest known name."""
        close = difflib.get_close_matches(normal(header), list(self.claims), n=1)
        if close:
            claim = min(self.claims[close[0]], key=lambda c: c.rank)
            hint = "" if claim.spelled == claim.target else f", for {claim.target}"
            return f"unknown column {header!r} (did you mean {claim.spelled!r}{hint}?)"
        known = [*self.kind.column_names, *sorted(self.field_keys)]
        return f"unknown column {header!r}; expected one of {', '.join(known)}"

    def mapped(self, column: str) -> str | None:
        """The header the ``--columns`` mapping gives ``column``, if it gives one."""
        for claims in self.claims.values():
            for claim in claims:
                if claim.rank == MAPPED and claim.target == column:
                    return claim.spelled
        return None


def kind_columns(kind: Kind) -> list[tuple[str, bool, tuple[str, ...]]]:
    """(column, required, accepted names) of each column of ``kind``, in file order."""
    names = accepted_names().get(kind.name, {})
    return [(c.name, c.required, names.get(c.name, ())) for c in kind.columns]
