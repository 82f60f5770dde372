"""Each import kind: a good file imports exactly, again changes nothing, a dry run writes
nothing, XLSX gives what CSV gives, a changed row is counted and written, bad files are
rejected whole with every problem (``tests/data/imports/bad/cases.yaml``)."""
from __future__ import annotations

import datetime as dt
import re

import pytest
import yaml
from sqlalchemy import select

from engine.customers.names import normalize_name
from engine.imports import ImportRejected, ImportReport, import_file
from engine.models import Customer, Order, Payment, Product, User, Visit
from tests.test_import_support import (BAD, GOOD, KIND_ORDER, import_audits, load_good,
                                       problem_lines, read_csv, snapshot, write_csv,
                                       write_xlsx)
from tests.test_import_support import initialized, with_pharmacy  # noqa: F401  (fixtures)

CASES = yaml.safe_load((BAD / "cases.yaml").read_text(encoding="utf-8"))


def dependencies(kind: str) -> tuple[str, ...]:
    """The kinds whose rows ``kind``'s good file refers to."""
    return {"users": (), "products": (), "customers": ("users",),
            "orders": ("users", "customers", "products"), "payments": ("users", "customers"),
            "visits": ("users", "customers")}[kind]


def good_rows(kind: str) -> int:
    return len(read_csv(GOOD / f"{kind}.csv")) - 1


def prepare(engine, kind: str) -> None:
    if dependencies(kind):
        load_good(engine, *dependencies(kind))


@pytest.mark.parametrize("kind", KIND_ORDER)
def test_good_file_imports_and_again_changes_nothing(initialized, kind):
    prepare(initialized, kind)
    n = good_rows(kind)
    assert import_file(initialized, kind, GOOD / f"{kind}.csv", actor="tester") == \
        ImportReport(kind, n, n, 0, 0, False)
    stored = snapshot(initialized)
    assert len(stored[kind]) == n + (1 if kind == "users" else 0)  # + the admin
    assert import_file(initialized, kind, GOOD / f"{kind}.csv", actor="tester") == \
        ImportReport(kind, n, 0, 0, n, False)
    assert snapshot(initialized) == stored
    audits = [a for a in import_audits(initialized) if a.actor == "tester"]
    assert [(a.object_type, a.object_id, a.details) for a in audits] == [
        (kind, f"{kind}.csv", {"file": f"{kind}.csv", "rows": n, "added": n, "changed": 0,
                               "unchanged": 0}),
        (kind, f"{kind}.csv", {"file": f"{kind}.csv", "rows": n, "added": 0, "changed": 0,
                               "unchanged": n})]


@pytest.mark.parametrize("kind", KIND_ORDER)
def test_dry_run_reports_and_writes_nothing(initialized, kind):
    prepare(initialized, kind)
    before, audits = snapshot(initialized), import_audits(initialized)
    n = good_rows(kind)
    assert import_file(initialized, kind, GOOD / f"{kind}.csv", dry_run=True) == \
        ImportReport(kind, n, n, 0, 0, True)
    assert snapshot(initialized) == before and import_audits(initialized) == audits
    import_file(initialized, kind, GOOD / f"{kind}.csv")
    assert import_file(initialized, kind, GOOD / f"{kind}.csv", dry_run=True) == \
        ImportReport(kind, n, 0, 0, n, True)


def typed(cell: str):
    """What a spreadsheet would hold for a CSV cell: dates, numbers, booleans, text."""
    if cell == "":
        return None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", cell):
        return dt.date.fromisoformat(cell)
    if re.fullmatch(r"-?\d+", cell):
        return int(cell)
    if re.fullmatch(r"-?\d+\.\d+", cell):
        return float(cell)
    return {"true": True, "false": False}.get(cell, cell)


@pytest.mark.parametrize("kind", KIND_ORDER)
def test_xlsx_gives_what_csv_gives(initialized, kind, tmp_path):
    prepare(initialized, kind)
    header, *rows = read_csv(GOOD / f"{kind}.csv")
    book = write_xlsx(tmp_path / f"{kind}.xlsx", [header, *[[typed(c) for c in r] for r in rows]])
    n = len(rows)
    assert import_file(initialized, kind, book) == ImportReport(kind, n, n, 0, 0, False)
    assert import_file(initialized, kind, GOOD / f"{kind}.csv") == \
        ImportReport(kind, n, 0, 0, n, False)


def rows_of(session, *columns):
    session.rollback()
    return [tuple(r) for r in session.execute(select(*columns).order_by(columns[0]))]


def test_users_are_stored_with_managers_defined_later_in_the_file(initialized, session):
    load_good(initialized, "users")
    manager = User.__table__.alias("m")
    rows = session.execute(
        select(User.username, User.name, User.role, User.seniority, User.team,
               manager.c.username, User.email, User.active, User.locale)
        .outerjoin(manager, manager.c.id == User.manager_id).order_by(User.id)).all()
    assert [tuple(r) for r in rows[1:]] == [
        ("li.na", "李娜", "rep", "regular", "华东", "zhang.wei", "li.na@example.cn", True, "zh"),
        ("wang.fang", "王芳", "rep", "junior", "华东", "zhang.wei", None, True, "zh"),
        ("zhang.wei", "张伟", "manager", "senior", "华东", None, "zhang.wei@example.cn", True,
         "zh"),
        ("chen.jie", "陈杰", "staff", None, "市场部", None, "chen.jie@example.cn", False, "zh")]
    assert rows[0].username == "admin"


def test_products_are_stored(initialized, session):
    load_good(initialized, "products")
    assert rows_of(session, Product.code, Product.name, Product.product_line,
                   Product.is_new) == [("P001", "阿托伐他汀钙片", "心血管", False),
                                       ("P002", "注射用紫杉醇", "肿瘤", True),
                                       ("P003", "二甲双胍缓释片", "代谢", False)]


def test_customers_are_stored_with_profiles(initialized, session):
    load_good(initialized, "customers")
    owner = User.__table__.alias("owner")
    rows = session.execute(
        select(Customer.code, Customer.name, Customer.normalized_name, Customer.type,
               Customer.parent_code, Customer.region, Customer.city, owner.c.username,
               Customer.status, Customer.profile)
        .outerjoin(owner, owner.c.id == Customer.owner_id).order_by(Customer.code)).all()
    assert [tuple(r) for r in rows] == [
        ("H001", "上海市第一人民医院", normalize_name("上海市第一人民医院"), "hospital", None,
         "上海", "上海", "li.na", "active",
         {"grade": "3A", "beds": 2000, "annual_outpatients": 3500000,
          "development_plan": "expanding", "region_growth": 12.5,
          "contact_email": "info@example.cn"}),
        ("H002", "上海市第一人民医院（南院）", normalize_name("上海市第一人民医院（南院）"),
         "hospital", "H001", "上海", "上海", "li.na", "active",
         {"grade": "3A", "beds": 800, "development_plan": "stable"}),
        ("H003", "杭州市中医院", normalize_name("杭州市中医院"), "hospital", None, "浙江", "杭州",
         "wang.fang", "inactive", {"grade": "none"})]


def test_facts_are_stored_exactly(initialized, session):
    load_good(initialized, "orders", "payments", "visits")
    customer = Customer.__table__.alias("c")
    product = Product.__table__.alias("p")
    orders = session.execute(
        select(Order.order_id, customer.c.code, Order.date, product.c.code,
               Order.quantity_milli, Order.amount_cents, Order.cost_cents)
        .join(customer, customer.c.id == Order.customer_id)
        .join(product, product.c.id == Order.product_id).order_by(Order.order_id)).all()
    assert [tuple(r) for r in orders] == [
        ("SO-0001", "H001", dt.date(2024, 1, 15), "P001", 120_000, 3_588_000, 2_152_800),
        ("SO-0002", "H001", dt.date(2024, 2, 3), "P002", 10_500, 12_600_050, None),
        ("SO-0003", "H002", dt.date(2024, 2, 10), "P001", -5_000, -149_500, -89_710)]
    payments = session.execute(
        select(Payment.invoice_id, customer.c.code, Payment.invoice_date, Payment.amount_cents,
               Payment.paid_date)
        .join(customer, customer.c.id == Payment.customer_id)
        .order_by(Payment.invoice_id)).all()
    assert [tuple(r) for r in payments] == [
        ("INV-0001", "H001", dt.date(2024, 1, 20), 3_588_000, dt.date(2024, 3, 1)),
        ("INV-0002", "H002", dt.date(2024, 2, 12), -149_500, None),
        ("INV-0003", "H003", dt.date(2024, 2, 12), 20_000, dt.date(2024, 2, 12))]
    rep = User.__table__.alias("rep")
    visits = session.execute(
        select(Visit.visit_id, customer.c.code, rep.c.username, Visit.date, Visit.channel)
        .join(customer, customer.c.id == Visit.customer_id)
        .outerjoin(rep, rep.c.id == Visit.rep_id).order_by(Visit.visit_id)).all()
    assert [tuple(r) for r in visits] == [
        ("V-0001", "H001", "li.na", dt.date(2024, 1, 10), "face_to_face"),
        ("V-0002", "H003", None, dt.date(2024, 1, 11), "phone")]


CHANGES = {  # kind → (row index, column, new value): one changed row per kind
    "users": (2, "manager", "li.na"),
    "products": (2, "is_new", "no"),
    "customers": (2, "beds", ""),
    "orders": (3, "cost", "-897.11"),
    "payments": (2, "paid_date", "2024-04-01"),
    "visits": (1, "rep", "wang.fang"),
}


@pytest.mark.parametrize("kind", KIND_ORDER)
def test_a_changed_row_is_counted_and_written(initialized, kind, tmp_path):
    prepare(initialized, kind)
    import_file(initialized, kind, GOOD / f"{kind}.csv")
    before = snapshot(initialized)[kind]
    rows = read_csv(GOOD / f"{kind}.csv")
    index, column, value = CHANGES[kind]
    rows[index][rows[0].index(column)] = value
    changed = write_csv(tmp_path / f"{kind}.csv", rows)
    n = len(rows) - 1
    assert import_file(initialized, kind, changed, dry_run=True) == \
        ImportReport(kind, n, 0, 1, n - 1, True)
    assert import_file(initialized, kind, changed) == ImportReport(kind, n, 0, 1, n - 1, False)
    after = snapshot(initialized)[kind]
    differing = [i for i, (old, new) in enumerate(zip(before, after)) if old != new]
    assert len(differing) == 1
    assert import_file(initialized, kind, changed) == ImportReport(kind, n, 0, 0, n, False)


def test_an_emptied_profile_cell_clears_the_field(initialized, session, tmp_path):
    load_good(initialized, "customers")
    rows = read_csv(GOOD / "customers.csv")
    rows[2][rows[0].index("beds")] = ""
    import_file(initialized, "customers", write_csv(tmp_path / "c.csv", rows))
    session.rollback()
    assert session.scalar(select(Customer.profile).where(Customer.code == "H002")) == \
        {"grade": "3A", "development_plan": "stable"}


def test_profile_key_order_is_not_a_change(initialized, session, tmp_path):
    load_good(initialized, "customers")
    rows = read_csv(GOOD / "customers.csv")
    reordered = [[r[i] for i in (*range(8), 13, 12, 11, 10, 9, 8)] for r in rows]
    assert import_file(initialized, "customers", write_csv(tmp_path / "c.csv", reordered)) == \
        ImportReport("customers", 3, 0, 0, 3, False)


def test_a_fact_may_name_a_merged_customer_by_its_former_code(initialized, session):
    from engine.models import CustomerAlias

    load_good(initialized, "customers", "products")
    session.rollback()
    kept = session.scalar(select(Customer).where(Customer.code == "H002"))
    session.add(CustomerAlias(customer_id=kept.id, name="旧名", normalized_name="旧名",
                              former_code="H999"))
    session.commit()
    path = BAD / "orders_values.csv"  # row 3 names H999
    with pytest.raises(ImportRejected) as caught:
        import_file(initialized, "orders", path)
    assert not any("'H999'" in line for line in problem_lines(caught.value))


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_file_is_rejected_whole(initialized, name, request):
    case = CASES[name]
    if case.get("pack") == "pharmacy":
        request.getfixturevalue("with_pharmacy")
    load_good(initialized, *KIND_ORDER)
    before, audits = snapshot(initialized), import_audits(initialized)
    encoding = case.get("encoding")
    with pytest.raises(ImportRejected) as caught:
        import_file(initialized, case["kind"], BAD / name, encoding=encoding)
    assert problem_lines(caught.value) == case["problems"]
    assert caught.value.total == len(case["problems"])
    assert snapshot(initialized) == before and import_audits(initialized) == audits
    with pytest.raises(ImportRejected):
        import_file(initialized, case["kind"], BAD / name, dry_run=True, encoding=encoding)


def test_rows_merged_batch_by_batch_are_rolled_back_when_a_later_row_is_bad(
        initialized, monkeypatch, tmp_path):
    monkeypatch.setattr("engine.imports.importer.BATCH_ROWS", 1)
    for kind in KIND_ORDER:
        n = good_rows(kind)
        assert import_file(initialized, kind, GOOD / f"{kind}.csv") == \
            ImportReport(kind, n, n, 0, 0, False)
        assert import_file(initialized, kind, GOOD / f"{kind}.csv").unchanged == n
    before = snapshot(initialized)
    rows = read_csv(GOOD / "orders.csv") + [["SO-9", "H001", "2024-05-01", "P001", "", "1", ""],
                                            ["SO-9", "H001", "2024-05-02", "P001", "", "2", ""]]
    with pytest.raises(ImportRejected) as caught:
        import_file(initialized, "orders", write_csv(tmp_path / "o.csv", rows))
    assert problem_lines(caught.value) == [
        "row 6: order_id: expected a unique order_id, got 'SO-9' again (first on row 5)"]
    assert snapshot(initialized) == before


def test_columns_left_out_of_a_file_keep_their_stored_values(initialized, tmp_path):
    load_good(initialized, "orders")
    before = snapshot(initialized)
    # An ERP export of customers knows no owner, status or profile fields.
    erp = [["code", "name", "type", "parent", "region", "city"],
           ["H001", "上海市第一人民医院", "hospital", "", "上海", "上海"],
           ["H002", "上海市第一人民医院（南院）", "hospital", "H001", "上海", "上海"]]
    assert import_file(initialized, "customers", write_csv(tmp_path / "c.csv", erp)) == \
        ImportReport("customers", 2, 0, 0, 2, False)
    orders = [["order_id", "customer", "date", "product_code", "amount"],
              ["SO-0001", "H001", "2024-01-15", "P001", "35880.00"]]
    assert import_file(initialized, "orders", write_csv(tmp_path / "o.csv", orders)) == \
        ImportReport("orders", 1, 0, 0, 1, False)
    users = [["username", "name", "role"], ["li.na", "李娜", "rep"]]
    assert import_file(initialized, "users", write_csv(tmp_path / "u.csv", users)) == \
        ImportReport("users", 1, 0, 0, 1, False)
    assert snapshot(initialized) == before


def test_a_new_customer_needs_its_forms_required_fields_even_without_their_column(
        initialized, tmp_path):
    load_good(initialized, "customers")
    rows = [["code", "name", "type", "beds"], ["H001", "上海市第一人民医院", "hospital", "2100"],
            ["H004", "苏州市立医院", "hospital", "900"]]
    with pytest.raises(ImportRejected) as caught:
        import_file(initialized, "customers", write_csv(tmp_path / "c.csv", rows))
    assert problem_lines(caught.value) == ["row 3: grade: expected a value, got an empty cell"]


def test_profile_columns_update_only_their_fields(initialized, session, tmp_path):
    load_good(initialized, "customers")
    rows = [["code", "name", "type", "beds", "key_contact"],
            ["H001", "上海市第一人民医院", "hospital", "2100", "刘主任"],
            ["H002", "上海市第一人民医院（南院）", "hospital", "", ""],
            ["H003", "杭州市中医院", "hospital", "", ""]]
    assert import_file(initialized, "customers", write_csv(tmp_path / "c.csv", rows)) == \
        ImportReport("customers", 3, 0, 2, 1, False)
    session.rollback()
    profiles = dict(session.execute(select(Customer.code, Customer.profile)).all())
    assert profiles == {
        "H001": {"grade": "3A", "beds": 2100, "annual_outpatients": 3500000,
                 "development_plan": "expanding", "region_growth": 12.5,
                 "contact_email": "info@example.cn", "key_contact": "刘主任"},
        "H002": {"grade": "3A", "development_plan": "stable"},
        "H003": {"grade": "none"}}


def test_a_customer_that_changes_type_gets_the_new_forms_profile(with_pharmacy, session,
                                                                 tmp_path):
    load_good(with_pharmacy, "customers")
    rows = [["code", "name", "type", "chain", "dtp"], ["H003", "杭州市中医院", "pharmacy", "", "no"]]
    with pytest.raises(ImportRejected) as caught:
        import_file(with_pharmacy, "customers", write_csv(tmp_path / "c.csv", rows))
    assert problem_lines(caught.value) == ["row 2: chain: expected a value, got an empty cell"]
    rows[1][3] = "single"
    assert import_file(with_pharmacy, "customers", write_csv(tmp_path / "c.csv", rows)).changed == 1
    session.rollback()
    assert session.scalar(select(Customer.profile).where(Customer.code == "H003")) == \
        {"chain": "single", "dtp": False}
