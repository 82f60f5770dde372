"""Header names from Chinese ERP exports (``engine/imports/headers.yaml``), form labels,
collisions between them, ``--columns`` mappings, and ``kamflow import --help``."""
from __future__ import annotations

import datetime as dt

import pytest
import yaml
from sqlalchemy import select

from engine.errors import InvalidInput
from engine.imports import ImportRejected, import_file
from engine.imports.headers import TABLE, accepted_names, table_problems
from engine.imports.importer import ImportReport
from engine.models import Customer, Order
from engine.packs import import_pack
from tests.test_import_support import (DATA, GOOD, KIND_ORDER, load_good, problem_lines,
                                       read_csv, snapshot, write_csv, write_xlsx)
from tests.test_import_support import initialized, with_pharmacy  # noqa: F401  (fixtures)

CHINESE = DATA / "chinese"
CLINIC_PACK = DATA / "packs" / "clinic_pack"
ORDER_HEADER = ["单据编号", "客户编码", "订单日期", "产品编码", "数量", "含税金额", "成本"]


def rejected(engine, kind, path, **options) -> list[str]:
    with pytest.raises(ImportRejected) as caught:
        import_file(engine, kind, path, **options)
    return problem_lines(caught.value)


@pytest.fixture(autouse=True)
def _initialized(initialized):
    """Every test here runs `kamflow` on a database set up like `kamflow init`."""


# --- Chinese headers, every kind --------------------------------------------------------------

@pytest.mark.parametrize("kind", KIND_ORDER)
def test_a_file_with_chinese_headers_holds_what_the_english_one_does(initialized, kind):
    """Each Chinese file is its good file with other headers: imported over it, every row
    is unchanged (a header read as the wrong column would change or refuse rows)."""
    assert len(read_csv(CHINESE / f"{kind}.csv")[0]) == len(read_csv(GOOD / f"{kind}.csv")[0])
    load_good(initialized, kind)
    rows = len(read_csv(GOOD / f"{kind}.csv")) - 1
    assert import_file(initialized, kind, CHINESE / f"{kind}.csv") == \
        ImportReport(kind, rows, 0, 0, rows)


def test_chinese_files_alone_import_the_same_data(initialized, engine):
    for kind in KIND_ORDER:
        report = import_file(initialized, kind, CHINESE / f"{kind}.csv")
        assert report.added == report.rows and report.notes == ()
    chinese = snapshot(initialized)
    for kind in KIND_ORDER:
        assert import_file(initialized, kind, GOOD / f"{kind}.csv").unchanged > 0
    assert snapshot(initialized) == chinese


def test_an_xlsx_with_chinese_full_width_headers_and_date_times(initialized, session, tmp_path):
    load_good(initialized, "customers", "products")
    book = write_xlsx(tmp_path / "订单.xlsx", [
        ["\u3000订单号 ", "客户编码", "下单日期", "物料编码", "ＱＴＹ", "金额", "成本金额"],
        ["SO-9001", "H001", dt.datetime(2026, 2, 3, 10, 30), "P001", 2, 12.5, None],
        ["SO-9002", "H001", dt.date(2026, 2, 4), "P002", 1, "99.90", 3]])
    assert import_file(initialized, "orders", book) == ImportReport("orders", 2, 2, 0, 0)
    assert [tuple(r) for r in session.execute(
        select(Order.order_id, Order.date, Order.quantity_milli, Order.amount_cents,
               Order.cost_cents).where(Order.order_id.like("SO-9%")).order_by(Order.order_id))] \
        == [("SO-9001", dt.date(2026, 2, 3), 2000, 1250, None),
            ("SO-9002", dt.date(2026, 2, 4), 1000, 9990, 300)]


def test_an_xlsx_date_time_in_a_profile_date_field_counts_by_its_date(with_pharmacy, session,
                                                                       tmp_path):
    load_good(with_pharmacy, "users")
    book = write_xlsx(tmp_path / "c.xlsx", [
        ["客户编码", "客户名称", "类型", "连锁属性", "开业日期"],
        ["D001", "老百姓大药房", "pharmacy", "national", dt.datetime(2019, 6, 1, 8, 0)]])
    assert import_file(with_pharmacy, "customers", book).added == 1
    assert session.scalar(select(Customer.profile).where(Customer.code == "D001")) == \
        {"chain": "national", "opened": "2019-06-01"}


# --- messages ---------------------------------------------------------------------------------

def test_problems_name_the_column_by_the_files_header(initialized, tmp_path):
    load_good(initialized, "customers", "products")
    path = write_csv(tmp_path / "o.csv", [ORDER_HEADER,
                                          ["SO-1", "H001", "2026-02-30", "P001", "1", "x", ""]])
    assert rejected(initialized, "orders", path) == [
        "row 2: 订单日期 (date): expected a date as YYYY-MM-DD, got '2026-02-30' "
        "(not a calendar date)",
        "row 2: 含税金额 (amount): expected an amount in yuan with at most 2 decimals, got 'x'"]


def test_a_date_that_no_calendar_has_is_told_apart(initialized, tmp_path):
    load_good(initialized, "customers")
    path = write_csv(tmp_path / "p.csv", [
        ["invoice_id", "customer", "invoice_date", "amount", "paid_date"],
        ["I1", "H001", "2026-02-30", "1", "2026/03/01"]])
    assert rejected(initialized, "payments", path) == [
        "row 2: invoice_date: expected a date as YYYY-MM-DD, got '2026-02-30' "
        "(not a calendar date)",
        "row 2: paid_date: expected a date as YYYY-MM-DD, got '2026/03/01'"]


def test_an_unknown_header_gets_the_closest_chinese_name(initialized, tmp_path):
    load_good(initialized, "customers", "products")
    header = ["订单号", "客户编号", "日期", "产品编码", "Amount"]
    path = write_csv(tmp_path / "o.csv", [header, ["SO-1", "H001", "2026-02-03", "P001", "1"]])
    assert rejected(initialized, "orders", path) == [
        "row 1: customer: expected a column 'customer' in the header row, got none",
        "row 1: 客户编号: unknown column '客户编号' (did you mean '客户编码', for customer?)"]


def test_two_headers_for_one_column_are_named_both(initialized, tmp_path):
    load_good(initialized, "customers", "products")
    header = ["订单号", "客户编码", "日期", "产品编码", "金额", "含税金额"]
    path = write_csv(tmp_path / "o.csv", [header, ["SO-1", "H001", "2026-02-03", "P001", "1",
                                                   "1.13"]])
    assert rejected(initialized, "orders", path) == [
        "row 1: amount: expected one column for amount, got '金额' (column 5) and '含税金额' "
        "(column 6)"]


def test_the_same_header_twice_is_still_told_as_before(initialized, tmp_path):
    path = write_csv(tmp_path / "p.csv", [["物料编码", "品名", "品名"], ["P1", "a", "b"]])
    assert rejected(initialized, "products", path) == [
        "row 1: 品名: expected each column once, got '品名' again in column 3"]


def test_a_case_variant_of_a_column_is_that_column(initialized, tmp_path):
    path = write_csv(tmp_path / "p.csv", [["CODE", "Name", "ＳＫＵ"], ["P1", "a", "P2"]])
    assert rejected(initialized, "products", path) == [
        "row 1: code: expected one column for code, got 'CODE' (column 1) and 'ＳＫＵ' (column 3)"]


def test_a_plural_summary_counts_one_row(run, tmp_path):
    path = write_csv(tmp_path / "p.csv", [["产品编码", "产品名称"], ["P1", "甲"]])
    result = run("import", "products", path)
    assert (result.exit_code, result.output) == (
        0, "p.csv (products, read as UTF-8): 1 row read, 1 added, 0 changed, 0 unchanged\n")


# --- collisions with a pack's forms -------------------------------------------------------------

@pytest.fixture
def clinics(initialized):
    import_pack(initialized, CLINIC_PACK, actor="test")
    load_good(initialized, "users")
    return initialized


def test_a_form_field_key_wins_over_an_accepted_name_and_is_noted(clinics, run, tmp_path):
    path = write_csv(tmp_path / "c.csv", [["客户编码", "客户名称", "类型", "province", "省份"],
                                          ["C1", "诊所", "clinic", "浙江", "江苏"]])
    result = run("import", "customers", path)
    assert (result.exit_code, result.output) == (0, (
        "c.csv (customers, read as UTF-8): 1 row read, 1 added, 0 changed, 0 unchanged\n"
        "note: header 'province' is read as form field province (a form field's key), not as "
        "column region (an accepted name)\n"))
    with clinics.connect() as connection:
        assert tuple(connection.execute(select(Customer.region, Customer.profile))) == \
            (("江苏", {"province": "浙江"}),)


def test_an_accepted_name_wins_over_a_form_label_and_is_noted(clinics, session, tmp_path):
    path = write_csv(tmp_path / "c.csv", [["客户编码", "客户名称", "类型", "城市"],
                                          ["C1", "诊所", "clinic", "杭州"]])
    report = import_file(clinics, "customers", path)
    assert report.notes == ("header '城市' is read as column city (an accepted name), not as "
                            "form field city_tier (a form field's label)",)
    assert tuple(session.execute(select(Customer.city, Customer.profile))) == (("杭州", {}),)


def test_a_label_of_two_fields_is_ambiguous(clinics, tmp_path):
    path = write_csv(tmp_path / "c.csv", [["客户编码", "客户名称", "类型", "规模"],
                                          ["C1", "诊所", "clinic", "3"]])
    assert rejected(clinics, "customers", path) == [
        "row 1: 规模: expected a header naming one field, got '规模', the label of form fields "
        "scale and size (name the column by the field's key)"]


# --- --columns MAPPING.yaml ------------------------------------------------------------------

ERP = DATA / "erp"
BAD = DATA / "bad"


def test_a_mapping_names_an_exports_own_headers(run, initialized):
    load_good(initialized, "orders")
    result = run("import", "orders", ERP / "orders_export.csv", "--columns",
                 ERP / "orders_columns.yaml")
    rows = len(read_csv(GOOD / "orders.csv")) - 1
    assert (result.exit_code, result.output) == (
        0, f"orders_export.csv (orders, read as UTF-8): {rows} rows read, 0 added, 0 changed, "
           f"{rows} unchanged\n")


def test_without_the_mapping_the_export_is_refused(initialized):
    load_good(initialized, "customers", "products")
    problems = rejected(initialized, "orders", ERP / "orders_export.csv")
    assert "row 1: 终端代码: unknown column '终端代码' (did you mean '终端编码', for customer?)" \
        in problems


def test_a_mapping_may_name_a_form_field(initialized, session, tmp_path):
    load_good(initialized, "users")
    mapping = tmp_path / "m.yaml"
    mapping.write_text("code: 医院编码\nname: 医院名称\nbeds: 开放床位\n", encoding="utf-8")
    path = write_csv(tmp_path / "c.csv", [["医院编码", "医院名称", "类型", "医院等级", "开放床位"],
                                          ["H900", "某医院", "hospital", "3A", "x"]])
    assert rejected(initialized, "customers", path, columns=mapping) == [
        "row 2: 开放床位 (beds): expected an integer, got 'x'"]


def test_a_mapped_header_missing_from_the_file_is_named(initialized, tmp_path):
    mapping = tmp_path / "m.yaml"
    mapping.write_text("code: 物料号\n", encoding="utf-8")
    path = write_csv(tmp_path / "p.csv", [["物料编号", "品名"], ["P1", "a"]])
    assert rejected(initialized, "products", path, columns=mapping) == [
        "row 1: code: expected a column 'code' ('物料号', as m.yaml maps it) in the header row, "
        "got none",
        "row 1: 物料编号: unknown column '物料编号' (did you mean '物料号', for code?)"]


@pytest.mark.parametrize("name, problems", [
    ("columns_unknown_column.yaml", [
        "columns_unknown_column.yaml:4:1: $.product: expected a column of orders (order_id, "
        "customer, date, product_code, quantity, amount, cost), got 'product' (did you mean "
        "'product_code'?)"]),
    ("columns_header_twice.yaml", [
        "columns_header_twice.yaml:7:7: $.cost: expected a header mapped once, got '价税合计' "
        "again (mapped to amount)"]),
    ("columns_not_a_mapping.yaml", [
        "columns_not_a_mapping.yaml:1:1: expected a mapping of column to header "
        "(order_id: 单据编号), got a list"]),
    ("columns_yaml_problem.yaml", [
        "columns_yaml_problem.yaml:3:5: malformed YAML: while parsing a flow sequence "
        "expected ',' or ']', but got ':'"]),
    ("columns_duplicate_key.yaml", [
        "columns_duplicate_key.yaml:3:1: $.customer: duplicate key 'customer'"]),
    ("columns_not_text.yaml", [
        "columns_not_text.yaml:3:7: $.date: expected the header of date as text, got 2024 "
        "(a number to YAML; quote it)",
        "columns_not_text.yaml:4:14: $.product_code: expected the header of product_code as "
        "text, got nothing",
        "columns_not_text.yaml:5:9: $.amount: expected the header of amount as text, got true "
        "(a boolean to YAML; quote it)"]),
])
def test_a_bad_mapping_is_refused_and_nothing_imported(run, initialized, name, problems):
    load_good(initialized, "customers", "products")
    before = snapshot(initialized)
    result = run("import", "orders", ERP / "orders_export.csv", "--columns", BAD / name)
    assert result.exit_code == 1
    count = f"{len(problems)} problem{'s' if len(problems) > 1 else ''}"
    assert result.stderr.splitlines() == [f"column mapping {name} rejected, {count}:",
                                          *[f"  {p}" for p in problems]]
    assert snapshot(initialized) == before


def test_a_mapping_file_that_is_not_utf8_is_refused(initialized, tmp_path):
    mapping = tmp_path / "m.yaml"
    mapping.write_bytes("code: 物料号\n".encode("gbk"))
    with pytest.raises(InvalidInput) as caught:
        import_file(initialized, "products", GOOD / "products.csv", columns=mapping)
    assert [str(p) for p in caught.value.problems] == [
        "m.yaml: expected UTF-8 text, got a byte that is not UTF-8 at offset 6"]


# --- the table and the help ---------------------------------------------------------------------

def test_the_shipped_table_is_consistent_and_covers_every_kind():
    assert table_problems(yaml.safe_load(TABLE.read_text(encoding="utf-8"))) == []
    assert list(accepted_names()) == list(KIND_ORDER)
    assert accepted_names()["orders"]["order_id"][:2] == ("订单号", "单据编号")


def test_a_bad_table_is_told_what_is_wrong():
    assert table_problems({"doctors": {}, "products": {"code": ["sku"], "name": ["SKU", "Code"],
                                                        "price": ["单价"], "is_new": "新品"}}) == [
        "doctors: not an import kind (users, products, customers, orders, payments, visits)",
        "products.name: 'SKU' is also a name of code",
        "products.name: 'Code' is column code's own name",
        "products.price: not a column of products",
        "products.is_new: expected a list of names"]


def test_help_lists_kinds_columns_and_accepted_names(run):
    result = run("import", "--help")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert "  --columns MAPPING.yaml          A YAML mapping of column to the header that" in lines
    start = lines.index("  orders:")
    assert lines[start:start + 9] == [
        "  orders:",
        "    order_id*      订单号, 单据编号, 订单编号, 单号, order_no",
        "    customer*      客户编码, 客户代码, 终端编码, customer_code",
        "    date*          日期, 订单日期, 下单日期, 单据日期",
        "    product_code*  产品编码, 物料编码, 产品代码, 品号, sku",
        "    quantity       数量, qty",
        "    amount*        金额, 含税金额, 价税合计, 销售金额",
        "    cost           成本, 成本金额",
        ""]
    for kind, columns in accepted_names().items():
        assert f"  {kind}:" in lines
        for column, names in columns.items():
            assert any(line.split()[0].rstrip("*") == column and line.endswith(", ".join(names))
                       for line in lines if line.startswith("    ")), (kind, column)


def test_the_docs_table_is_the_shipped_one():
    page = (DATA.parent.parent.parent / "docs" / "imports.md").read_text(encoding="utf-8")
    for kind, columns in accepted_names().items():
        for column, names in columns.items():
            assert f"| `{kind}` | `{column}` | {', '.join(names)} |" in page, (kind, column)
