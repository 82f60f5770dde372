"""``kamflow import`` as a user runs it: summaries, exit codes 0/1/2, the problem list."""
from __future__ import annotations

import pytest

from tests.test_import_support import BAD, GOOD, load_good, write_csv
from tests.test_import_support import initialized  # noqa: F401  (fixture)


@pytest.fixture(autouse=True)
def _initialized(initialized):
    """Every test here runs `kamflow` on a database set up like `kamflow init`."""


def test_import_prints_a_summary_and_again_changes_nothing(run):
    first = run("import", "users", GOOD / "users.csv")
    assert (first.exit_code, first.output) == (
        0, "users.csv (users, read as UTF-8): 4 rows read, 4 added, 0 changed, 0 unchanged\n")
    again = run("import", "users", GOOD / "users.csv")
    assert again.output == "users.csv (users, read as UTF-8): 4 rows read, 0 added, 0 changed, 4 unchanged\n"


def test_dry_run_says_nothing_was_imported(run):
    dry = run("import", "products", GOOD / "products.csv", "--dry-run")
    assert (dry.exit_code, dry.output) == (
        0, "products.csv (products, read as UTF-8): 3 rows read, 3 added, 0 changed, 0 unchanged "
           "(dry run: nothing imported)\n")
    assert "3 added" in run("import", "products", GOOD / "products.csv").output


def test_a_bad_file_exits_1_listing_every_problem(run, initialized):
    load_good(initialized, "users", "customers", "products")
    result = run("import", "payments", BAD / "payments_values.csv")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "import of payments_values.csv rejected, 6 problems:",
        "  payments_values.csv:row 2: paid_date: expected a date on or after the invoice_date "
        "2024-03-10, got '2024-03-09'",
        "  payments_values.csv:row 3: customer: expected the code of a known customer, "
        "got 'H999'",
        "  payments_values.csv:row 3: amount: expected a value, got an empty cell",
        "  payments_values.csv:row 3: paid_date: expected a date as YYYY-MM-DD, "
        "got '2024/03/12'",
        "  payments_values.csv:row 4: invoice_date: expected a value, got an empty cell",
        "  payments_values.csv:row 4: amount: expected an amount in yuan with at most 2 "
        "decimals, got '1.001'"]


def test_more_than_a_hundred_problems_end_with_a_count(run, tmp_path):
    rows = [["code", "name", "product_line", "is_new"]] + [[f"P{i}", "x", "", "?"]
                                                          for i in range(130)]
    result = run("import", "products", write_csv(tmp_path / "p.csv", rows))
    lines = result.stderr.splitlines()
    assert result.exit_code == 1 and len(lines) == 102
    assert lines[0] == "import of p.csv rejected, 130 problems (the first 100 by row):"
    assert lines[-1] == "  … and 30 more"


def test_encoding_option(run, tmp_path):
    path = write_csv(tmp_path / "p.csv", [["code", "name", "product_line", "is_new"],
                                          ["P1", "注射用紫杉醇", "肿瘤", "是"]], encoding="gbk")
    result = run("import", "products", path, "--encoding", "GBK")
    assert result.exit_code == 1
    assert "row 2: is_new: expected true, false, 1, 0, yes or no, got '是'" in result.stderr


@pytest.mark.parametrize("args, message", [
    (("import", "doctors", GOOD / "users.csv"), "'doctors' is not one of 'users', 'products'"),
    (("import", "users", "missing.csv"), "does not exist"),
    (("import", "users", GOOD / "users.csv", "--encoding", "latin-1"),
     "Invalid value for '--encoding'"),
    (("import", "users"), "Missing argument 'FILE'"),
])
def test_usage_errors_exit_2(run, args, message):
    result = run(*args)
    assert result.exit_code == 2 and message in result.output
