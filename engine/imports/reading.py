"""Reading a data file as a stream of trimmed text rows: CSV (RFC 4180) or XLSX (first sheet).

Nothing holds the whole file: rows are produced one at a time, and no line, cell or XLSX part
beyond ``engine.imports.limits`` is read into memory. Cells are trimmed of Unicode White_Space
and an empty cell is ``None``; a cell holding control characters (but tab and line breaks) or
longer than ``MAX_CELL_CHARS`` becomes a ``RefusedCell``. XLSX values become the text a CSV
export would have (``engine.imports.xlsx``). A CSV file's encoding is settled for the whole
file first (``engine.imports.encodings``).
"""
from __future__ import annotations

import csv
import io
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from engine.forms import WHITE_SPACE
from engine.imports import encodings
from engine.imports.limits import MAX_CSV_ROW_CHARS, MAX_DATA_BYTES, size_text
from engine.imports.problems import ReadError
from engine.imports.rows import (HEADER_ROW, Cells, RefusedCell, RefusedRow, Table,
                                 checked_row, numbered)
from engine.imports.xlsx import open_xlsx

__all__ = ["open_table", "Table", "Cells", "RefusedCell", "RefusedRow", "ReadError",
           "HEADER_ROW", "ENCODINGS"]

ENCODINGS = encodings.ENCODINGS
XLSX_SUFFIXES = (".xlsx", ".xlsm")
ZIP_MAGIC = b"PK\x03\x04"
def is_xlsx(path: Path) -> bool:
    if path.suffix.lower() in XLSX_SUFFIXES:
        return True
    with open(path, "rb") as handle:
        return handle.read(4) == ZIP_MAGIC


@contextmanager
def open_table(path: Path, encoding: str | None = None) -> Iterator[Table]:
    """The file at ``path`` as a ``Table``; the file is closed when the block ends."""
    if path.suffix.lower() == ".xls":
        raise ReadError(None, "CSV or XLSX", "an Excel 97-2003 .xls file (save it as .xlsx)")
    try:
        opener = open_xlsx if is_xlsx(path) else _open_csv
        with opener(path, encoding) as table:
            yield table
    except OSError as exc:
        raise ReadError(None, "a readable file", f"{type(exc).__name__}: {exc.strerror}") \
            from None


# --- CSV ------------------------------------------------------------------------------------

class _BoundedLines:
    """The lines of a text stream for ``csv.reader``, refusing a row (the lines of one record)
    longer than ``MAX_CSV_ROW_CHARS`` before it is held whole. ``row`` is the record being
    read; ``_csv_rows`` moves it on."""

    def __init__(self, stream):
        self.stream = stream
        self.row = HEADER_ROW
        self.record = 0

    def __iter__(self) -> "_BoundedLines":
        return self

    def __next__(self) -> str:
        line = self.stream.readline(MAX_CSV_ROW_CHARS + 1 - self.record)
        if not line:
            raise StopIteration
        self.record += len(line)
        if self.record > MAX_CSV_ROW_CHARS:
            raise ReadError(self.row, f"a row of at most {MAX_CSV_ROW_CHARS} characters",
                            "a longer one")
        return line

    def next_record(self) -> None:
        self.row += 1
        self.record = 0


def _csv_rows(lines: _BoundedLines, encoding: str) -> Iterator[Cells]:
    """Trimmed, checked rows; a quoting error or an undecodable byte stops reading."""
    reader = csv.reader(lines, strict=True)
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ReadError(lines.row, "RFC 4180 CSV", str(exc)) from None
        except UnicodeDecodeError:  # only if the file changed since its encoding was settled
            shown = encodings.label(encoding)
            raise ReadError(lines.row, f"{shown} text", f"bytes that are not {shown}") from None
        lines.next_record()
        yield checked_row([c.strip(WHITE_SPACE) or None for c in cells])


@contextmanager
def _open_csv(path: Path, encoding: str | None) -> Iterator[Table]:
    size = path.stat().st_size
    if size > MAX_DATA_BYTES:
        raise ReadError(None, f"a file of at most {size_text(MAX_DATA_BYTES)}",
                        f"one of {size_text(size)}")
    encoding = encodings.settle(path, encoding)
    codec = "utf-8-sig" if encoding == encodings.UTF8 else encoding
    with open(path, "rb") as raw:
        stream = io.TextIOWrapper(raw, encoding=codec, newline="")
        rows = _csv_rows(_BoundedLines(stream), encoding)
        header = next(rows, None)
        if header is None:
            raise ReadError(HEADER_ROW, "a header row", "an empty file")
        yield Table(header, numbered(rows, HEADER_ROW + 1), encodings.label(encoding))


