"""The CSV cells of ``scores export``, made a batch at a time from the database's JSON text.

Each score row arrives as one JSON array of its exported values (``[77.9,31.0,null,"stable"]``),
the number tokens exactly as stored. The stored numbers were written by Python (``float``'s
shortest round-trip ``repr``, :mod:`.score_rows`), so a number's cell (:func:`number_text`) is
its token without a trailing ``.0``, and ``0`` for a zero. Rather than parsing and formatting
some three million values one at a time, the arrays of a batch are joined and edited as one
text (``.0`` dropped before every separator, nulls emptied, ``-0`` made ``0``, text values
neutralised for spreadsheets (SPEC §7) and unquoted); a batch with nothing to quote is then
written as that text, otherwise cut into cells for the csv writer.

A batch holding anything else (text with a separator, bracket, escape, tab or CR; an object or
nested array; an integer of 17 digits or more, whose double prints in exponent form) goes the
exact way: ``json.loads`` and :func:`engine.spreadsheet.cell` per value.
"""
from __future__ import annotations

import gc
import json
import re
from contextlib import contextmanager
from typing import Iterator

from engine.spreadsheet import FORMULA_STARTS, QUOTE, cell

STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
LONG_INTEGER = re.compile(r'[\[,]-?\d{17,}[\],]')
DIGITS, SEVENTEEN_DIGITS = str.maketrans("012345678", "999999999"), "9" * 17   # a quick test first
NEUTRALISED = [('"' + start, '"' + QUOTE + start) for start in FORMULA_STARTS
               if start.isprintable()]


def number_text(value) -> str:
    """A number in shortest round-trip form without a trailing ``.0`` (``-0`` reads ``0``)."""
    value = float(value)
    if value == 0:
        return "0"
    text = repr(value)
    return text[:-2] if text.endswith(".0") else text


def text_cell(value: str | None) -> str:
    """'' for null, otherwise the text with a leading ``'`` when a spreadsheet would run it."""
    if value is None:
        return ""
    return QUOTE + value if value.startswith(FORMULA_STARTS) else value


def value_cells(texts: list[str], width: int) -> list[list[str]]:
    """The cells of each row's JSON array of ``width`` values."""
    edited = _edited(texts)
    if edited is None:
        return [_exact_cells(values) for values in json.loads("[" + ",".join(texts) + "]")]
    cells = edited[1:-1].replace("][", ",").split(",")
    return [cells[start:start + width] for start in range(0, len(cells), width)]


def _edited(texts: list[str]) -> str | None:
    """The arrays ``texts`` joined, each value's text turned into its cell: ``[c,c][c,c]``;
    None when a value needs the exact path."""
    joined = "".join(texts)
    strings = "".join(STRING.findall(joined))
    # No text value holds a separator, bracket or escape: then every ``.0,`` or ``,null`` is
    # a number's or a null's, and every '"' delimits a text value.
    if any(mark in strings for mark in ",[]\\\t\r"):
        return None
    joined = joined.replace(", ", ",")              # PostgreSQL's separators
    if "{" in joined or joined.count("[") != len(texts) or (
            SEVENTEEN_DIGITS in joined.translate(DIGITS) and LONG_INTEGER.search(joined)):
        return None
    joined = joined.replace(".0,", ",").replace(".0]", "]")
    joined = joined.replace(",null", ",").replace("[null", "[")
    if "-0" in joined:
        # Twice: a zero right after another one overlaps its match.
        joined = joined.replace(",-0,", ",0,").replace(",-0,", ",0,").replace("[-0,", "[0,")
        joined = joined.replace(",-0]", ",0]").replace("[-0]", "[0]")
    for start, neutralised in NEUTRALISED:
        joined = joined.replace(start, neutralised)
    return joined.replace('"', "")


def csv_text(batch: list[tuple], width: int) -> str | None:
    """The CSV lines (CRLF ends) of rows ``(code, segment, effective segment, values JSON)``
    when no cell needs quoting or the exact path: what the csv writer would write, made
    without cutting the batch into cells; None otherwise."""
    edited = _edited([row[3] for row in batch])
    if edited is None:
        return None
    starts = [",".join((text_cell(code), text_cell(segment), text_cell(effective), ""))
              for code, segment, effective, _ in batch]
    text = "\r\n".join(map(str.__add__, starts, edited[1:-1].split("][")))
    if (text.count(",") != (width + 2) * len(batch) or '"' in text
            or text.count("\r") != len(batch) - 1 or text.count("\n") != len(batch) - 1):
        return None
    return text + "\r\n"


def _exact_cells(values: list) -> list[str]:
    return [cell(value, number_text) for value in values]


@contextmanager
def collector_off():
    """The garbage collector off: an export makes millions of short-lived strings and lists,
    none in a reference cycle, which it would otherwise walk again and again."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def csv_rows(batch: list[tuple], width: int) -> Iterator[list[str]]:
    """The CSV cells of each row ``(code, segment, effective segment, values JSON)``."""
    values = value_cells([row[3] for row in batch], width)
    for (code, segment, effective, _), row_cells in zip(batch, values):
        yield [text_cell(code), text_cell(segment), text_cell(effective), *row_cells]
