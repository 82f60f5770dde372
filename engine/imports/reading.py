"""Reading a data file as a stream of trimmed text rows: CSV (RFC 4180) or XLSX (first sheet).

Nothing holds the whole file: rows are produced one at a time. Cells are trimmed of Unicode
White_Space and an empty cell is ``None``; XLSX values become the text a CSV export would have
(dates ``YYYY-MM-DD``, numbers in shortest form, booleans ``true``/``false``).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import warnings
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from engine.forms import WHITE_SPACE

ENCODINGS = ("utf-8", "gbk", "gb18030")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
ZIP_MAGIC = b"PK\x03\x04"
HEADER_ROW = 1

Cells = list[str | None]


class Undecodable(str):
    """A cell whose bytes are not text in the file's encoding (the value is the encoding)."""

    def expected(self) -> str:
        hint = " (give --encoding gbk or gb18030 for GBK files)" if self == "UTF-8" else ""
        return f"{self} text{hint}"

    def found(self) -> str:
        return f"bytes that are not {self}"


class UndecodableRow(list):
    """The cells of a row with at least one ``Undecodable`` cell (so that the common case,
    a plain ``list``, is told apart with one check per row)."""


class ReadError(ValueError):
    """The file cannot be read on from ``row`` (1-based; the header is row 1)."""

    def __init__(self, row: int, expected: str, found: str):
        self.row, self.expected, self.found = row, expected, found
        super().__init__(f"row {row}: expected {expected}, got {found}")


@dataclass
class Table:
    """The header cells and an iterator of (row number, cells) for the rows below it."""

    header: Cells
    rows: Iterator[tuple[int, Cells]]


def trim(cell: str) -> str | None:
    return cell.strip(WHITE_SPACE) or None


def _numbered(rows: Iterable[Cells], first: int) -> Iterator[tuple[int, Cells]]:
    number = first
    for cells in rows:
        yield number, cells
        number += 1


def is_xlsx(path: Path) -> bool:
    if path.suffix.lower() in XLSX_SUFFIXES:
        return True
    with open(path, "rb") as handle:
        return handle.read(4) == ZIP_MAGIC


@contextmanager
def open_table(path: Path, encoding: str | None = None) -> Iterator[Table]:
    """The file at ``path`` as a ``Table``; the file is closed when the block ends."""
    if path.suffix.lower() == ".xls":
        raise ReadError(HEADER_ROW, "CSV or XLSX", "an Excel 97-2003 .xls file (save it as .xlsx)")
    opener = _open_xlsx if is_xlsx(path) else _open_csv
    with opener(path, encoding) as table:
        yield table


# --- CSV ------------------------------------------------------------------------------------

def _codec(encoding: str | None) -> str:
    name = (encoding or "utf-8").lower()
    if name not in ENCODINGS:
        raise ValueError(f"unknown encoding {encoding!r}; known: {', '.join(ENCODINGS)}")
    return "utf-8-sig" if name == "utf-8" else name


_UNDECODABLE = re.compile("[\udc80-\udcff]")


def _undecodable(cells: list[str]) -> list[int]:
    """Indexes of cells holding bytes the codec could not decode (kept as lone surrogates)."""
    return [i for i, cell in enumerate(cells) if _UNDECODABLE.search(cell)]


def _csv_rows(reader, encoding: str) -> Iterator[Cells]:
    """Trimmed rows; undecodable cells become ``Undecodable``, a quoting error stops reading."""
    row = HEADER_ROW
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ReadError(row, "RFC 4180 CSV", str(exc)) from None
        row += 1
        trimmed = [c.strip(WHITE_SPACE) or None for c in cells]
        if not all(map(str.isascii, cells)):
            bad = _undecodable(cells)
            if bad:
                trimmed = UndecodableRow(trimmed)
                for index in bad:
                    trimmed[index] = Undecodable(encoding)
        yield trimmed


@contextmanager
def _open_csv(path: Path, encoding: str | None) -> Iterator[Table]:
    codec = _codec(encoding)
    shown = (encoding or "utf-8").upper()
    with open(path, "rb") as raw:
        # Undecodable bytes are kept (as surrogates) so that the problem names its row and
        # column, instead of the decoder failing a whole buffer ahead of the row at fault.
        stream = io.TextIOWrapper(raw, encoding=codec, errors="surrogateescape", newline="")
        rows = _csv_rows(csv.reader(stream, strict=True), shown)
        header = next(rows, None)
        if header is None:
            raise ReadError(HEADER_ROW, "a header row", "an empty file")
        yield Table(header, _numbered(rows, HEADER_ROW + 1))


# --- XLSX -----------------------------------------------------------------------------------

def xlsx_text(value) -> str | None:
    """The text of one XLSX cell value as a CSV export would write it."""
    if value is None:
        return None
    if isinstance(value, str):
        return trim(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return trim(str(value))


@contextmanager
def _open_xlsx(path: Path, encoding: str | None) -> Iterator[Table]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    with warnings.catch_warnings():
        # Workbooks from other tools often lack styles openpyxl looks for; that is harmless.
        warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
        try:
            workbook = load_workbook(path, read_only=True, data_only=True)
        except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as exc:
            raise ReadError(HEADER_ROW, "an XLSX workbook", f"a file openpyxl cannot read "
                                                            f"({exc})") from None
        try:
            if not workbook.worksheets:
                raise ReadError(HEADER_ROW, "a worksheet", "a workbook without sheets")
            rows = ([xlsx_text(v) for v in values]
                    for values in workbook.worksheets[0].iter_rows(values_only=True))
            header = next(rows, None)
            if header is None:
                raise ReadError(HEADER_ROW, "a header row", "an empty sheet")
            yield Table(header, _numbered(rows, HEADER_ROW + 1))
        finally:
            workbook.close()
