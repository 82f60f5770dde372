"""The batch formatter of ``scores export`` gives the cells the value-by-value rules give, for
every kind of stored value, in SQLite's and PostgreSQL's array texts."""
from __future__ import annotations

import csv
import io
import json

import pytest

from engine.evaluation.export_cells import _exact_cells, csv_rows, csv_text, value_cells

VALUES = [77.961230205, 31.0, 0.0, -0.0, -2.5, 10.0, 1e-05, 1.5e+20, 1e16, 123456789.0,
          77.84615384615384, 0.12823923100000001, None, True, False, "stable", "", "5.0",
          "null", "-0", "=SUM(1)", "+1", "-x", "@a", "2026-01-02", "中文", 7, -3, 0]


def sqlite_text(values: list) -> str:
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"))


def postgresql_text(values: list) -> str:
    return json.dumps(values, ensure_ascii=False, separators=(", ", ": "))


@pytest.mark.parametrize("render", [sqlite_text, postgresql_text])
def test_the_fast_path_gives_the_exact_cells(render):
    rows = [VALUES, VALUES[::-1], [None] * len(VALUES)]
    assert value_cells([render(row) for row in rows], len(VALUES)) == [
        _exact_cells(row) for row in rows]
    assert _exact_cells(VALUES)[:6] == ["77.961230205", "31", "0", "0", "-2.5", "10"]
    assert _exact_cells(["=SUM(1)", None, True])[0] == "'=SUM(1)"


@pytest.mark.parametrize("odd", [
    "a,b", "[x]", "tab\there", "\rCR", 'say "hi"', "back\\slash",       # text the fast path
    12345678901234567890, -10**17, {"a": 1}, [1, 2],                   # cannot cut, numbers
])                                                                     # it cannot print
def test_odd_values_take_the_exact_path(odd):
    rows = [[1.0, odd, "x"], [None, 2.5, "=y"]]
    for render in (sqlite_text, postgresql_text):
        assert value_cells([render(row) for row in rows], 3) == [
            _exact_cells(row) for row in rows]


def test_rows_start_with_the_neutralised_code_and_segments():
    rows = list(csv_rows([("-1", "star", None, "[1.0,null]"), ("B", "@x", "dog", "[0.5,2]")], 2))
    assert rows == [["'-1", "star", "", "1", ""], ["B", "'@x", "dog", "0.5", "2"]]


@pytest.mark.parametrize("render", [sqlite_text, postgresql_text])
def test_a_batch_as_one_text_is_what_the_csv_writer_writes(render):
    batch = [("-1", "star", None, render(VALUES)), ("B", "@x", "dog", render([None] * 29)),
             ("C", "cow", "cow", render(VALUES[::-1]))]
    expected = io.StringIO(newline="")
    csv.writer(expected).writerows(csv_rows(batch, len(VALUES)))
    assert csv_text(batch, len(VALUES)) == expected.getvalue()
    zeros = [("z", "z", "z", render([-0.0, -0.0, 0, -0.0, "-0", -0.0]))]
    assert csv_text(zeros, 6) == "z,z,z,0,0,0,0,'-0,0\r\n"
    batch = [(code, segment, effective, render([0.5 if value == 0 else value for value in
                                                 VALUES])) for code, segment, effective, _ in batch]
    expected = io.StringIO(newline="")
    csv.writer(expected).writerows(csv_rows(batch, len(VALUES)))
    assert csv_text(batch, len(VALUES)) == expected.getvalue()
    assert csv_text([("a,b", "x", "y", render([1.0]))], 1) is None        # needs quoting
    assert csv_text([("a", "x", "y", render(["a,b"]))], 1) is None        # the exact path
