"""Header names from Chinese ERP exports (``engine/imports/headers.yaml``), form labels,
collisions between them, ``--columns`` mappings, and ``kamflow import --help``."""
from __future__ import annotations

import datetime as dt

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import select

from engine.imports import ImportRejected, import_file
from engine.imports.headers import TABLE, accepted_names, table_problems
from engine.imports.importer import ImportReport
from engine.models import Customer, Order
from engine.packs import import_pack
from tests.test_import_support import (DATA, GOOD, KIND_ORDER, load_good, problem_lines,
                                       read_csv, snapshot, write_csv, write_xlsx)
from tests.test_import_support import initialized, with_pharmacy  # noqa: F401  (fixtures)
from web.cli import cli

CHINESE = DATA / "chinese"
CLINIC_PACK = DATA / "packs" / "clinic_pack"
ORDER_HEADER = ["单据编号", "客户编码", "订单日期", "产品编码", "数量", "含税金额", "成本"]


def rejected(engine, kind, path, **options) -> list[str]:
    with pytest.raises(ImportRejected) as caught:
        import_file(engine, kind, path, **options)
    return problem_lines(caught.value)


@pytest.fixture
def run(initialized):
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)

    return invoke


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
