"""The rows a reader produces: trimmed text cells, with the cells refused in any column marked.

A cell holding control characters (but tab and line breaks) or longer than ``MAX_CELL_CHARS``
becomes a ``RefusedCell``, so that the importer names its row and column.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Iterator

from engine.forms import WHITE_SPACE, describe
from engine.imports.limits import MAX_CELL_CHARS

HEADER_ROW = 1
# C0 and C1 controls and DEL, but tab, line feed and carriage return (which a quoted CSV cell
# may hold): SQLite would store them silently and PostgreSQL refuses NUL.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

Cells = list[str | None]


class RefusedCell(str):
    """A cell the reader refuses whatever its column; ``expected``/``found`` say why."""

    expected: str
    found: str

    @classmethod
    def of(cls, cell: str, expected: str, found: str) -> "RefusedCell":
        refused = cls(cell[:MAX_CELL_CHARS])
        refused.expected, refused.found = expected, found
        return refused


class RefusedRow(list):
    """The cells of a row with at least one ``RefusedCell`` (so that the common case, a plain
    ``list``, is told apart with one check per row)."""


def refused(cell: str) -> RefusedCell | None:
    """Why ``cell`` (trimmed) is refused in any column, or ``None`` if it is not."""
    if len(cell) > MAX_CELL_CHARS:
        return RefusedCell.of(cell, f"at most {MAX_CELL_CHARS} characters in a cell",
                              f"{len(cell)} characters")
    control = CONTROL.search(cell)
    if control:
        return RefusedCell.of(cell, "text without control characters",
                              f"{describe(cell)} (U+{ord(control.group()):04X} at character "
                              f"{control.start() + 1})")
    return None


def checked_row(cells: Cells) -> Cells:
    """``cells`` with each refused cell replaced by its ``RefusedCell``. One scan of the
    row's text in the common case."""
    text = "".join(c for c in cells if c is not None)
    if len(text) <= MAX_CELL_CHARS and not CONTROL.search(text):
        return cells
    marked = RefusedRow(cells)
    for index, cell in enumerate(cells):
        if cell is not None:
            marked[index] = refused(cell) or cell
    return marked


@dataclass
class Table:
    """The header cells and an iterator of (row number, cells) for the rows below it;
    ``encoding`` is the CSV encoding used (``None`` for XLSX)."""

    header: Cells
    rows: Iterator[tuple[int, Cells]]
    encoding: str | None = None


def trim(cell: str) -> str | None:
    return cell.strip(WHITE_SPACE) or None


def numbered(rows: Iterable[Cells], first: int) -> Iterator[tuple[int, Cells]]:
    number = first
    for cells in rows:
        yield number, cells
        number += 1
