"""Reading the first sheet of an XLSX workbook, after checking what its zip says it holds.

openpyxl reads some parts whole (the shared strings above all: every text cell of the
workbook, parsed into a list up front) and the zip module inflates each part as asked. So the
zip's own directory is checked first, against ``engine.imports.limits``: how many parts, how
each is compressed, their uncompressed sizes and compression ratios. The zip module never
inflates a part beyond the size its directory declares (a part that holds more fails its CRC
check), so a lying header cannot get past these checks either. Rows beyond Excel's
1,048,576 × 16,384 are refused while reading, as are the workbook's own dimensions: a sheet
that claims to be huge is read as the rows it has.
"""
from __future__ import annotations

import datetime as dt
import warnings
import zipfile
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator
from xml.etree.ElementTree import ParseError

from engine.imports.cells import DateTimeText
from engine.imports.limits import (MAX_COMPRESSION_RATIO, MAX_DATA_BYTES, MAX_WHOLE_PART_BYTES,
                                   MAX_XLSX_COLUMNS, MAX_XLSX_PARTS, MAX_XLSX_ROWS,
                                   RATIO_FLOOR_BYTES, size_text)
from engine.imports.problems import ReadError
from engine.imports.rows import HEADER_ROW, Cells, Table, checked_row, trim

WORKSHEETS = "xl/worksheets/"
COMPRESSIONS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
# What openpyxl and the zip module raise on a damaged workbook, while opening or reading.
UNREADABLE = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, ParseError, KeyError,
              ValueError, EOFError, NotImplementedError)


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
        # A date column takes its date; any other column its text.
        return DateTimeText.of(value.isoformat(sep=" "), value.date().isoformat())
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return trim(str(value))


def check_parts(path: Path) -> None:
    """Refuse a workbook whose zip directory declares more than the limits allow."""
    with open(path, "rb") as source:
        # The zip module's own reader of the end record (zip64 included), so that what is
        # counted is what ``ZipFile`` would then load: one object per part.
        end = zipfile._EndRecData(source)
    if end is None:
        raise ReadError(None, "an XLSX workbook", "a file that is not a zip archive")
    parts = end[zipfile._ECD_ENTRIES_TOTAL]
    if parts > MAX_XLSX_PARTS:
        raise ReadError(None, f"an XLSX workbook of at most {MAX_XLSX_PARTS} parts",
                        f"{parts} parts")
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
    for info in infos:
        _check_part(info)
    total = sum(info.file_size for info in infos)
    if total > MAX_DATA_BYTES:
        raise ReadError(None, f"an XLSX workbook of at most {size_text(MAX_DATA_BYTES)} "
                              "uncompressed", f"parts that expand to {size_text(total)}")


def _check_part(info: zipfile.ZipInfo) -> None:
    name, size = info.filename, info.file_size
    if info.compress_type not in COMPRESSIONS:
        raise ReadError(None, "XLSX parts that are stored or deflated",
                        f"{name} compressed with method {info.compress_type}")
    if not name.startswith(WORKSHEETS) and size > MAX_WHOLE_PART_BYTES:
        raise ReadError(None, f"XLSX part {name} of at most {size_text(MAX_WHOLE_PART_BYTES)} "
                              "uncompressed", f"one of {size_text(size)}")
    if size > RATIO_FLOOR_BYTES and size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
        raise ReadError(None, f"XLSX part {name} compressed at most {MAX_COMPRESSION_RATIO} to 1",
                        f"{size_text(size)} from {size_text(info.compress_size)}")


@contextmanager
def open_xlsx(path: Path, encoding: str | None) -> Iterator[Table]:
    try:
        check_parts(path)
        with warnings.catch_warnings():
            # Workbooks from other tools often lack styles openpyxl looks for; that is harmless.
            warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
            workbook = _load(path)
    except ReadError:
        raise
    except UNREADABLE as exc:
        raise ReadError(None, "an XLSX workbook", _cannot_read(exc)) from None
    try:
        if not workbook.worksheets:
            raise ReadError(None, "a worksheet", "a workbook without sheets")
        rows = _sheet_rows(workbook.worksheets[0])
        header = next(rows, None)
        if header is None:
            raise ReadError(HEADER_ROW, "a header row", "an empty sheet")
        yield Table(header, _numbered(rows))
    finally:
        workbook.close()


def _load(path: Path):
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        return load_workbook(path, read_only=True, data_only=True)
    except InvalidFileException as exc:
        raise ValueError(str(exc)) from None


def _cannot_read(exc: BaseException) -> str:
    return f"a file openpyxl cannot read ({type(exc).__name__}: {exc})"


def _sheet_rows(sheet) -> Iterator[Cells]:
    """The sheet's rows as checked text cells, however damaged the sheet turns out to be."""
    # A sheet's stated dimensions would pad every row to them: read the cells it has.
    sheet.reset_dimensions()
    values = sheet.iter_rows(values_only=True)
    row = HEADER_ROW
    while True:
        try:
            cells = next(values)
        except StopIteration:
            return
        except ReadError:
            raise
        except UNREADABLE as exc:
            raise ReadError(row, "a worksheet openpyxl can read", _cannot_read(exc)) from None
        if len(cells) > MAX_XLSX_COLUMNS:
            raise ReadError(row, f"a row of at most {MAX_XLSX_COLUMNS} columns",
                            f"one of {len(cells)}")
        row += 1
        yield checked_row([xlsx_text(v) for v in cells])


def _numbered(rows: Iterator[Cells]) -> Iterator[tuple[int, Cells]]:
    for number, cells in enumerate(rows, HEADER_ROW + 1):
        if number > MAX_XLSX_ROWS:
            raise ReadError(number, f"a sheet of at most {MAX_XLSX_ROWS} rows",
                            "more rows")
        yield number, cells
