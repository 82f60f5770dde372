"""Reading data files: CSV dialect and encodings, trimming, XLSX cells, header and row shape,
and the problem list of a very bad file."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from engine.imports import LISTED, ImportRejected, ImportReport, import_file
from engine.models import Customer, Order, Product, User
from tests.test_import_support import (GOOD, load_good, problem_lines, read_csv, snapshot,
                                       write_csv, write_xlsx)
from tests.test_import_support import initialized  # noqa: F401  (fixture)

PRODUCT_HEADER = ["code", "name", "product_line", "is_new"]


def rejected(engine, kind, path, **options) -> list[str]:
    with pytest.raises(ImportRejected) as caught:
        import_file(engine, kind, path, **options)
    return problem_lines(caught.value)


def stored_products(session) -> list[tuple]:
    session.rollback()
    return [tuple(r) for r in session.execute(
        select(Product.code, Product.name, Product.product_line, Product.is_new)
        .order_by(Product.code))]


def test_utf8_with_and_without_bom(initialized, session, tmp_path):
    rows = [PRODUCT_HEADER, ["P1", "阿司匹林肠溶片", "心血管", "true"]]
    import_file(initialized, "products", write_csv(tmp_path / "bom.csv", rows, bom=True))
    assert import_file(initialized, "products", write_csv(tmp_path / "plain.csv", rows)) == \
        ImportReport("products", 1, 0, 0, 1, False)
    assert stored_products(session) == [("P1", "阿司匹林肠溶片", "心血管", True)]


@pytest.mark.parametrize("encoding, name", [("gbk", "阿司匹林肠溶片"),
                                            ("gb18030", "䶮药业𠀀号片")])  # beyond GBK
def test_chinese_erp_encodings(initialized, session, tmp_path, encoding, name):
    path = write_csv(tmp_path / "p.csv", [PRODUCT_HEADER, ["P1", name, "心血管", "no"]],
                     encoding=encoding)
    assert import_file(initialized, "products", path, encoding=encoding).added == 1
    assert stored_products(session) == [("P1", name, "心血管", False)]


def test_unicode_white_space_is_trimmed_everywhere(initialized, session, tmp_path):
    load_good(initialized, "users")
    ws = "\u3000\u00a0\t \u2003"
    rows = [[f"{ws}code", "name ", "type", "parent", "region", "city", "owner", "status",
             "grade", f"beds{ws}"],
            [f"{ws}H9{ws}", "\u3000上海市\u3000第六人民医院\u3000", " hospital", "", "\u3000",
             "上海", "li.na\u3000", "\u3000", "\u30003A", "\u3000100\u3000"]]
    assert import_file(initialized, "customers", write_csv(tmp_path / "c.csv", rows)).added == 1
    session.rollback()
    customer = session.scalar(select(Customer).where(Customer.code == "H9"))
    assert (customer.name, customer.region, customer.status, customer.profile) == \
        ("上海市\u3000第六人民医院", None, "active", {"grade": "3A", "beds": 100})


def test_rfc4180_quoting(initialized, session, tmp_path):
    path = tmp_path / "p.csv"
    path.write_bytes('code,name,product_line,is_new\r\n'
                     'P1,"片剂, 10mg ""新""","多行\r\n说明",no\r\n'
                     'P2,x,,\r\n'.encode())
    assert import_file(initialized, "products", path).added == 2
    assert stored_products(session) == [("P1", '片剂, 10mg "新"', "多行\r\n说明", False),
                                        ("P2", "x", None, False)]


def test_a_quoting_error_names_its_row(initialized, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text('code,name,product_line,is_new\nP1,a,,no\nP2,"b"c,,no\nP3,d,,no\n')
    assert rejected(initialized, "products", path) == [
        "row 3: expected RFC 4180 CSV, got ',' expected after '\"'"]


@pytest.mark.parametrize("content, expected", [
    ("", ["row 1: expected a header row, got an empty file"]),
    ("code,name,name,is_new,,\nP1,a,b,no,,x\n",
     ["row 1: name: expected each column once, got 'name' again in column 3",
      "row 2: column 6: expected an empty cell (the column has no name in the header row), "
      "got 'x'"]),
    ("name,product_line\nx,y\n",
     ["row 1: code: expected a column 'code' in the header row, got none"]),
    ("code,name,product_line,is_new\nP1,a,,no,extra\n",
     ["row 2: column 5: expected an empty cell (the column has no name in the header row), "
      "got 'extra'"]),
])
def test_header_and_row_shape(initialized, tmp_path, content, expected):
    path = tmp_path / "p.csv"
    path.write_text(content)
    assert rejected(initialized, "products", path) == expected


def test_columns_in_any_order_blank_rows_and_short_rows(initialized, session, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("is_new,name,code,product_line,,\n\nno,甲,P1\n,,,,,\ntrue,乙,P2,肿瘤,,\n")
    assert import_file(initialized, "products", path) == \
        ImportReport("products", 2, 2, 0, 0, False)
    assert stored_products(session) == [("P1", "甲", None, False), ("P2", "乙", "肿瘤", True)]


def test_old_excel_files_are_refused(initialized, tmp_path):
    path = tmp_path / "p.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0")
    assert rejected(initialized, "products", path) == [
        "file: expected CSV or XLSX, got an Excel 97-2003 .xls file (save it as .xlsx)"]


def test_a_broken_xlsx_is_refused(initialized, tmp_path):
    path = tmp_path / "p.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    [line] = rejected(initialized, "products", path)
    assert line == "file: expected an XLSX workbook, got a file that is not a zip archive"


def test_xlsx_cells_become_the_text_a_csv_would_hold(initialized, session, tmp_path):
    load_good(initialized, "customers", "products")
    book = write_xlsx(tmp_path / "o.xlsx", [
        ["order_id", "customer", "date", "product_code", "quantity", "amount", "cost"],
        ["\u3000SO-1", "H001", dt.datetime(2024, 5, 1), "P001", 2, 12.5, None],
        [20240502, "H001", dt.date(2024, 5, 2), "P001", 0.125, "99.90", 1.005],
        [None, None, None, None, None, None, None],
        ["SO-3", "H001", dt.datetime(2024, 5, 3, 9, 30), "P001", 1, True, 1],
    ])
    assert rejected(initialized, "orders", book) == [
        "row 3: cost: expected an amount in yuan with at most 2 decimals, got '1.005'",
        "row 5: amount: expected an amount in yuan with at most 2 decimals, got 'true'"]
    book = write_xlsx(tmp_path / "o.xlsx", [
        ["order_id", "customer", "date", "product_code", "quantity", "amount", "cost"],
        ["\u3000SO-1", "H001", dt.datetime(2024, 5, 1), "P001", 2, 12.5, None],
        [20240502, "H001", dt.date(2024, 5, 2), "P001", 0.125, "99.90", 0.3],
        ["SO-3", "H001", dt.datetime(2024, 5, 3, 23, 59, 59), "P001", 1, 1, None]])
    assert import_file(initialized, "orders", book).added == 3
    session.rollback()
    assert [tuple(r) for r in session.execute(
        select(Order.order_id, Order.date, Order.quantity_milli, Order.amount_cents,
               Order.cost_cents).order_by(Order.order_id))] == [
        ("20240502", dt.date(2024, 5, 2), 125, 9990, 30),
        ("SO-1", dt.date(2024, 5, 1), 2000, 1250, None),
        ("SO-3", dt.date(2024, 5, 3), 1000, 100, None)]  # a date-time cell counts by its date


def test_every_problem_is_counted_and_the_first_hundred_listed(initialized, tmp_path):
    rows = [PRODUCT_HEADER] + [[f"P{i}", "", "", "maybe"] for i in range(80)]
    path = write_csv(tmp_path / "p.csv", rows)
    with pytest.raises(ImportRejected) as caught:
        import_file(initialized, "products", path)
    error = caught.value
    assert error.total == 160 and len(error.problems) == LISTED
    assert problem_lines(error)[:3] == [
        "row 2: name: expected a value, got an empty cell",
        "row 2: is_new: expected true, false, 1, 0, yes or no, got 'maybe'",
        "row 3: name: expected a value, got an empty cell"]
    assert problem_lines(error)[-1] == \
        "row 51: is_new: expected true, false, 1, 0, yes or no, got 'maybe'"
    assert str(error).splitlines()[0] == \
        "import of p.csv rejected, 160 problems (the first 100 by row):"
    assert str(error).splitlines()[-1] == "  … and 60 more"


def test_problems_from_sql_checks_merge_into_row_order(initialized, tmp_path):
    rows = [PRODUCT_HEADER] + [["P1", "x", "", "no"]] * 3 + [["P2", "", "", "no"]]
    assert rejected(initialized, "products", write_csv(tmp_path / "p.csv", rows)) == [
        "row 3: code: expected a unique code, got 'P1' again (first on row 2)",
        "row 4: code: expected a unique code, got 'P1' again (first on row 2)",
        "row 5: name: expected a value, got an empty cell"]


def test_an_all_invalid_file_changes_nothing(initialized, tmp_path):
    load_good(initialized, "orders", "payments", "visits")
    before = snapshot(initialized)
    rows = [read_csv(GOOD / "orders.csv")[0]] + [
        ["SO-0001", "H404", "2024-13-01", "P404", "x", "1.001", "y"]] * 3
    assert len(rejected(initialized, "orders", write_csv(tmp_path / "o.csv", rows))) == 20
    assert snapshot(initialized) == before


def test_one_bad_row_keeps_the_good_rows_out(initialized, session, tmp_path):
    rows = [PRODUCT_HEADER, ["P1", "a", "", "no"], ["P2", "b", "", "no"],
            ["P3", "c", "", "perhaps"]]
    rejected(initialized, "products", write_csv(tmp_path / "p.csv", rows))
    assert stored_products(session) == []


def test_users_keep_their_password_and_locale_on_update(initialized, session, tmp_path):
    rows = read_csv(GOOD / "users.csv") + [["admin", "管理员", "admin", "", "", "", "", ""]]
    assert import_file(initialized, "users", write_csv(tmp_path / "u.csv", rows)) == \
        ImportReport("users", 5, 4, 1, 0, False)
    session.rollback()
    admin = session.scalar(select(User).where(User.username == "admin"))
    assert admin.name == "管理员" and admin.password_hash and admin.locale == "zh"
