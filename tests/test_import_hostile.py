"""Hostile data files: sizes and lengths refused before they are read whole, zip bombs and lying
zip headers, encodings settled per file, ids normalized (NFKC). (Control characters and lookalike
ids have their example files in tests/data/imports/bad/cases.yaml.)"""
from __future__ import annotations

import datetime as dt
import signal
import struct
import tracemalloc
import zipfile
import zlib
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from engine.imports import ImportRejected, import_file
from engine.imports.limits import MAX_CELL_CHARS, MAX_DATA_BYTES, MAX_XLSX_PARTS
from engine.models import Customer, Order, Product
from tests.test_import_support import (BAD, load_good, problem_lines, snapshot, write_csv,
                                       write_xlsx)
from tests.test_import_support import initialized  # noqa: F401  (fixture)
from web.cli import cli

PRODUCT_HEADER = ["code", "name", "product_line", "is_new"]
SHARED_STRINGS = "xl/sharedStrings.xml"
SHEET = "xl/worksheets/sheet1.xml"
MIB = 1 << 20


def rejected(engine, kind, path, **options) -> list[str]:
    with pytest.raises(ImportRejected) as caught:
        import_file(engine, kind, path, **options)
    return problem_lines(caught.value)


@contextmanager
def cheaply(seconds: float, mebibytes: float | None = None):
    """The block must end within ``seconds`` and allocate at most ``mebibytes`` at its peak
    (an alarm stops a block that would run on for minutes)."""
    def too_slow(*_):
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, too_slow)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    if mebibytes is not None:
        tracemalloc.start()
    try:
        yield
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    if mebibytes is not None:
        assert peak <= mebibytes * MIB, f"peak allocation {peak / MIB:.1f} MiB"


def products_xlsx(path: Path, rows: list[list] | None = None) -> Path:
    default = [["P1", "片剂", "心血管", False]]
    return write_xlsx(path, [PRODUCT_HEADER] + (default if rows is None else rows))


def with_shared_strings(path: Path, table: bytes) -> Path:
    """The workbook at ``path`` with a shared strings part that openpyxl reads when it opens
    the workbook (it finds the part by its content type)."""
    with zipfile.ZipFile(path) as source:
        types = source.read("[Content_Types].xml")
    override = (b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')
    return rebuilt(path, {SHARED_STRINGS: table,
                          "[Content_Types].xml": types.replace(b"</Types>",
                                                               override + b"</Types>")})


def with_rows(path: Path, rows: bytes) -> Path:
    """The workbook at ``path`` with ``rows`` (sheet XML) after the first sheet's rows."""
    with zipfile.ZipFile(path) as source:
        sheet = source.read(SHEET)
    return rebuilt(path, {SHEET: sheet.replace(b"</sheetData>", rows + b"</sheetData>")})


def rebuilt(path: Path, parts: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED,
            level: int | None = None) -> Path:
    """The workbook at ``path`` with ``parts`` replaced (or added), written again."""
    with zipfile.ZipFile(path) as source:
        kept = {name: source.read(name) for name in source.namelist()}
    kept.update(parts)
    with zipfile.ZipFile(path, "w", compression, compresslevel=level) as target:
        for name, data in kept.items():
            target.writestr(name, data)
    return path


def declare(path: Path, part: str, *, size: int, compressed: int | None = None) -> Path:
    """Make the zip directory claim that ``part`` inflates to ``size`` bytes (and takes
    ``compressed`` bytes), whatever it holds: a header that lies."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        start = archive.start_dir
    while start >= 0:
        name_length, = struct.unpack_from("<H", data, start + 28)
        if data[start + 46:start + 46 + name_length].decode() == part:
            if compressed is not None:
                struct.pack_into("<I", data, start + 20, compressed)
            struct.pack_into("<I", data, start + 24, size)
            path.write_bytes(bytes(data))
            return path
        start = data.find(b"PK\x01\x02", start + 46)
    raise LookupError(part)


def shared_strings(count: int) -> bytes:
    items = b"<si><t>x</t></si>" * count
    return (b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats'
            b'.org/spreadsheetml/2006/main">' + items + b"</sst>")


# --- XLSX: the zip directory is checked before openpyxl reads anything -----------------------

def test_shared_strings_declared_huge_are_refused_before_reading(initialized, tmp_path):
    book = with_shared_strings(products_xlsx(tmp_path / "p.xlsx"), shared_strings(10))
    declare(book, SHARED_STRINGS, size=1_825_361_101)
    with cheaply(seconds=20, mebibytes=20):
        assert rejected(initialized, "products", book) == [
            "file: expected XLSX part xl/sharedStrings.xml of at most 256 MiB uncompressed, "
            "got one of 1.7 GiB"]


def test_a_part_that_inflates_far_beyond_its_size_is_refused(initialized, tmp_path):
    sheet = (b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
             b'spreadsheetml/2006/main"><sheetData>' + b" " * (3 * MIB) +
             b"</sheetData></worksheet>")
    book = rebuilt(products_xlsx(tmp_path / "p.xlsx"), {SHEET: sheet}, level=9)
    [line] = rejected(initialized, "products", book)
    assert line.startswith("file: expected XLSX part xl/worksheets/sheet1.xml compressed at "
                           "most 100 to 1, got 3 MiB from ")


def test_parts_expanding_beyond_the_total_are_refused(initialized, tmp_path):
    book = products_xlsx(tmp_path / "p.xlsx")
    declare(book, SHEET, size=MAX_DATA_BYTES + 200 * MIB, compressed=20 * MIB)
    assert rejected(initialized, "products", book) == [
        "file: expected an XLSX workbook of at most 1 GiB uncompressed, got parts that expand "
        "to 1.2 GiB"]


def test_a_lying_header_cannot_inflate_more_than_it_declares(initialized, tmp_path):
    """The zip module stops at the declared size, and the part then fails its CRC check."""
    book = with_shared_strings(products_xlsx(tmp_path / "p.xlsx"), shared_strings(3_000_000))
    declare(book, SHARED_STRINGS, size=4096)
    with cheaply(seconds=20, mebibytes=20):
        assert rejected(initialized, "products", book) == [
            "file: expected an XLSX workbook, got a file openpyxl cannot read (BadZipFile: Bad "
            "CRC-32 for file 'xl/sharedStrings.xml')"]


def test_other_compression_methods_and_too_many_parts_are_refused(initialized, tmp_path):
    book = rebuilt(products_xlsx(tmp_path / "p.xlsx"), {}, compression=zipfile.ZIP_BZIP2)
    assert rejected(initialized, "products", book)[0].startswith(
        "file: expected XLSX parts that are stored or deflated, got ")
    many = {f"xl/media/image{i}.png": b"" for i in range(MAX_XLSX_PARTS)}
    book = rebuilt(products_xlsx(tmp_path / "q.xlsx"), many)
    with zipfile.ZipFile(book) as archive:
        parts = len(archive.namelist())
    assert rejected(initialized, "products", book) == [
        f"file: expected an XLSX workbook of at most {MAX_XLSX_PARTS} parts, got {parts} parts"]


def test_a_sheet_claiming_huge_dimensions_is_read_as_the_rows_it_has(initialized, session,
                                                                     tmp_path):
    """openpyxl pads every row to the sheet's stated width (16,384 columns here)."""
    rows = [[f"P{i}", "片剂", None, False] for i in range(3000)]
    book = products_xlsx(tmp_path / "p.xlsx", rows)
    with zipfile.ZipFile(book) as source:
        sheet = source.read(SHEET)
    sheet = sheet.replace(b'<dimension ref="A1:D3001" />', b'<dimension ref="A1:XFD3001" />')
    assert b"XFD3001" in sheet
    rebuilt(book, {SHEET: sheet})
    with cheaply(seconds=10):
        assert import_file(initialized, "products", book).added == 3000
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Product)) == 3000


def test_rows_and_columns_beyond_excels_are_refused(initialized, tmp_path):
    book = products_xlsx(tmp_path / "p.xlsx")
    with zipfile.ZipFile(book) as source:
        sheet = source.read(SHEET)
    wide = sheet.replace(b"</sheetData>",
                         b'<row r="3"><c r="ZZZ3" t="inlineStr"><is><t>x</t></is></c></row>'
                         b"</sheetData>")
    assert rejected(initialized, "products", rebuilt(book, {SHEET: wide})) == [
        "row 3: expected a row of at most 16384 columns, got one of 18278"]
    tall = sheet.replace(b"</sheetData>",
                         b'<row r="1048577"><c r="A1048577" t="inlineStr"><is><t>P9</t></is>'
                         b"</c></row></sheetData>")
    assert rejected(initialized, "products", rebuilt(book, {SHEET: tall})) == [
        "row 1048577: expected a sheet of at most 1048576 rows, got more rows"]


def test_a_broken_sheet_is_a_problem_not_a_traceback(initialized, tmp_path):
    book = products_xlsx(tmp_path / "p.xlsx")
    with zipfile.ZipFile(book) as source:
        sheet = source.read(SHEET)
    broken = sheet.replace(b"</sheetData>", b"<row r='3'><c r='A3'><v>1</v></sheetData>")
    [line] = rejected(initialized, "products", rebuilt(book, {SHEET: broken}))
    assert line.startswith("row 3: expected a worksheet openpyxl can read, got a file openpyxl "
                           "cannot read (ParseError: mismatched tag")


# --- cells and rows that are too long ---------------------------------------------------------

def test_a_cell_longer_than_excel_allows_is_refused_in_csv_and_xlsx(initialized, tmp_path):
    long_name = "药" * (MAX_CELL_CHARS + 1)
    expected = [f"row 2: name: expected at most {MAX_CELL_CHARS} characters in a cell, "
                f"got {MAX_CELL_CHARS + 1} characters"]
    rows = [PRODUCT_HEADER, ["P1", long_name, "", "no"]]
    assert rejected(initialized, "products", write_csv(tmp_path / "p.csv", rows)) == expected
    # (openpyxl cuts what it writes to Excel's limit: the cell is written by hand.)
    book = with_rows(products_xlsx(tmp_path / "p.xlsx", []),
                     f'<row r="2"><c r="A2" t="inlineStr"><is><t>P1</t></is></c>'
                     f'<c r="B2" t="inlineStr"><is><t>{long_name}</t></is></c></row>'.encode())
    assert rejected(initialized, "products", book) == expected
    # A cell of Excel's length passes the reader; the name's own column is shorter.
    rows = [PRODUCT_HEADER, ["P1", "药" * MAX_CELL_CHARS, "", "no"]]
    assert rejected(initialized, "products", write_csv(tmp_path / "ok.csv", rows)) == [
        f"row 2: name: expected at most 300 characters, got '{'药' * 57}…'"]


def test_a_line_without_end_is_refused_before_it_is_held(initialized, tmp_path):
    path = tmp_path / "p.csv"
    with open(path, "wb") as out:
        out.write(b"code,name,product_line,is_new\r\nP1,")
        for _ in range(64):
            out.write(b"x" * MIB)
    with cheaply(seconds=10, mebibytes=20):
        assert rejected(initialized, "products", path) == [
            "row 2: expected a row of at most 131072 characters, got a longer one"]


def test_a_csv_file_beyond_the_size_limit_is_refused_unread(initialized, tmp_path):
    path = tmp_path / "p.csv"
    with open(path, "wb") as out:  # sparse: takes no room on disk
        out.write(b"code,name,product_line,is_new\r\n")
        out.truncate(MAX_DATA_BYTES + MAX_DATA_BYTES // 2)
    with cheaply(seconds=20, mebibytes=5):
        assert rejected(initialized, "products", path) == [
            "file: expected a file of at most 1 GiB, got one of 1.5 GiB"]


def test_a_nul_is_refused_on_every_backend_and_nothing_changes(initialized, tmp_path):
    load_good(initialized, "customers")
    before = snapshot(initialized)
    rows = [["code", "name", "type"], ["H001", "A\0evil", "hospital"]]
    assert rejected(initialized, "customers", write_csv(tmp_path / "c.csv", rows)) == [
        "row 2: name: expected text without control characters, got 'A\\x00evil' "
        "(U+0000 at character 2)"]
    header = [["code\0", "name", "type"]]
    assert rejected(initialized, "customers", write_csv(tmp_path / "h.csv", header)) == [
        "row 1: code: expected a column 'code' in the header row, got none",
        "row 1: column 1: expected text without control characters, got 'code\\x00' "
        "(U+0000 at character 5)"]
    assert snapshot(initialized) == before


# --- encodings ----------------------------------------------------------------------------------

def test_a_gbk_file_without_encoding_is_read_as_gb18030_and_says_so(initialized, session,
                                                                     tmp_path):
    rows = [PRODUCT_HEADER, ["P1", "阿司匹林肠溶片", "心血管", "no"],
            ["P2", "䶮药业𠀀号片", "", "no"]]  # the second is beyond GBK
    path = write_csv(tmp_path / "p.csv", rows, encoding="gb18030")
    result = CliRunner().invoke(cli, ["import", "products", str(path)],
                                catch_exceptions=False)
    assert (result.exit_code, result.output) == (
        0, "p.csv (products, read as GB18030): 2 rows read, 2 added, 0 changed, 0 unchanged\n")
    session.rollback()
    assert session.scalars(select(Product.name).order_by(Product.code)).all() == [
        "阿司匹林肠溶片", "䶮药业𠀀号片"]


def test_a_wrongly_encoded_file_is_one_problem_however_many_cells(initialized, tmp_path):
    rows = [PRODUCT_HEADER] + [[f"P{i}", "片剂", "心血管", "no"] for i in range(500)]
    path = write_csv(tmp_path / "p.csv", rows, encoding="gbk")
    assert rejected(initialized, "products", path, encoding="utf-8") == [
        "file: expected UTF-8 text, got bytes that are not UTF-8 on line 2 (leave out "
        "--encoding to have it detected)"]


def test_the_cli_names_a_refused_encoding_in_one_line(initialized):
    result = CliRunner().invoke(cli, ["import", "products", str(BAD / "products_utf8_given_gbk.csv"),
                                      "--encoding", "gbk"], catch_exceptions=False)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "import of products_utf8_given_gbk.csv rejected, 1 problem:",
        "  products_utf8_given_gbk.csv: expected GBK text, got a UTF-8 file (read as GBK it "
        "would be '閿﹀窞鍖婚櫌'…; leave out --encoding)"]


# --- ids ------------------------------------------------------------------------------------

def test_full_width_ids_are_normalized_where_stored_and_where_referred_to(initialized, session,
                                                                           tmp_path):
    load_good(initialized, "products")
    customers = [["code", "name", "type", "grade"], ["Ｈ110003", "杭州医院", "hospital", "3A"],
                 ["京Ｈ２", "北京医院", "hospital", "3A"]]
    assert import_file(initialized, "customers",
                       write_csv(tmp_path / "c.csv", customers)).added == 2
    orders = [["order_id", "customer", "date", "product_code", "quantity", "amount", "cost"],
              ["ＳＯ-１", "Ｈ110003", "2024-05-01", "Ｐ001", "1", "10.00", ""],
              ["SO-2", "H110003", "2024-05-02", "P001", "1", "10.00", ""]]
    assert import_file(initialized, "orders", write_csv(tmp_path / "o.csv", orders)).added == 2
    again = [*orders[:2], ["SO-1", "Ｈ110003", "2024-05-01", "P001", "1", "10.00", ""]]
    assert rejected(initialized, "orders", write_csv(tmp_path / "again.csv", again)) == [
        "row 3: order_id: expected a unique order_id, got 'SO-1' again (first on row 2)"]
    session.rollback()
    assert session.scalars(select(Customer.code).order_by(Customer.code)).all() == \
        ["H110003", "京H2"]
    assert session.execute(select(Order.order_id, Order.date).order_by(Order.order_id)).all() \
        == [("SO-1", dt.date(2024, 5, 1)), ("SO-2", dt.date(2024, 5, 2))]
