"""Problems found in a data file: kept up to a limit, counted beyond it, raised all at once."""
from __future__ import annotations

import heapq
from typing import Iterable

from engine.errors import InvalidInput, Problem
from engine.forms import describe

LISTED = 100


def expected_got(expected: str, value) -> str:
    """The one message shape for a bad cell: what would do, then what is there."""
    return expected_found(expected, describe(value))


def expected_found(expected: str, found: str) -> str:
    """The same shape when what is there is described in words."""
    return f"expected {expected}, got {found}"


class ReadError(ValueError):
    """The file cannot be read on from ``row`` (1-based; the header is row 1), or at all
    (``row`` is ``None``: a problem of the whole file, such as its encoding or size)."""

    def __init__(self, row: int | None, expected: str, found: str):
        self.row, self.expected, self.found = row, expected, found
        where = f"row {row}: " if row is not None else ""
        super().__init__(f"{where}expected {expected}, got {found}")


class ProblemLog:
    """The first ``LISTED`` problems of a file in row order, and how many there are in all.

    Problems arrive in row order from the streaming pass and, later, from SQL checks over the
    staged rows (each query also ordered by row); only the first ``LISTED`` of each source are
    kept, so memory stays flat however bad the file is.
    """

    def __init__(self, file: str, columns: Iterable[str] = ()):
        self.file = file
        self.order = {name: i for i, name in enumerate(columns)}
        self.kept: list[tuple] = []
        self.total = 0
        # The cells of the latest row that the reader refused: nothing more is said of them.
        self.refused_row: int | None = None
        self.refused_columns: set[str] = set()
        # Column → how problems name it, where the file's header differs: ``日期 (date)``.
        self.shown: dict[str, str] = {}

    def __bool__(self) -> bool:
        return self.total > 0

    def add(self, row: int | None, column: str | None, message: str) -> None:
        if row == self.refused_row and column in self.refused_columns:
            return
        self.total += 1
        problem = Problem(file=self.file, row=row, path=self.shown.get(column, column),
                          message=message)
        item = (row or 0, self.order.get(column, len(self.order)), self.total, problem)
        if len(self.kept) < LISTED:
            heapq.heappush(self.kept, _Reversed(item))
        elif item < self.kept[0].item:
            heapq.heapreplace(self.kept, _Reversed(item))

    def refuse(self, row: int, column: str, message: str) -> None:
        """A cell refused whatever its column (control characters, length): its emptied value
        draws no further problem ("expected a value")."""
        self.add(row, column, message)
        if row != self.refused_row:
            self.refused_row, self.refused_columns = row, set()
        self.refused_columns.add(column)

    def cell(self, row: int, column: str, expected: str, value, note: str = "") -> None:
        """A bad cell; ``note`` follows what was found (`` (not a calendar date)``)."""
        self.add(row, column, expected_got(expected, value) + note)

    def add_counted(self, found: Iterable[tuple[int, str, str]], count: int) -> None:
        """Problems from a query listing at most ``LISTED`` of ``count``."""
        listed = 0
        for row, column, message in found:
            self.add(row, column, message)
            listed += 1
        self.total += count - listed

    def problems(self) -> list[Problem]:
        return [entry.item[3] for entry in sorted(self.kept, reverse=True)]

    def rejection(self) -> "ImportRejected":
        return ImportRejected(self.problems(), self.total, self.file)


class _Reversed:
    """A heap entry ordered backwards, so the heap's top is the latest problem kept."""

    __slots__ = ("item",)

    def __init__(self, item: tuple):
        self.item = item

    def __lt__(self, other: "_Reversed") -> bool:
        return self.item[:3] > other.item[:3]


class ImportRejected(InvalidInput):
    """A data file with invalid rows: nothing was imported. ``total`` counts every problem;
    ``problems`` holds the first ``LISTED`` by row."""

    def __init__(self, problems: list[Problem], total: int, file: str):
        super().__init__(problems, subject=f"import of {file}")
        self.total = total
        more = total - len(problems)
        if more > 0:
            lines = "\n".join(f"  {p}" for p in self.problems)
            self.args = (f"import of {file} rejected, {total} problems (the first {len(problems)}"
                         f" by row):\n{lines}\n  … and {more} more",)
