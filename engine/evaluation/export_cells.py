"""The CSV cells of ``scores export``, made a batch at a time from the database's JSON text.

Each score row arrives as one JSON array of its exported values (``[77.9,31.0,null,"stable"]``),
the number tokens exactly as stored. The stored numbers were written by Python (``float``'s
shortest round-trip ``repr``, :mod:`.score_rows`), so a number's cell (:func:`number_text`) is
its token without a trailing ``.0``, and ``0`` for a zero. Rather than parsing and formatting
some three million values one at a time, a batch is cut into tokens by one regular expression
and edited as one text (``.0`` dropped before every separator), so Python touches only the text
values (decoded and neutralised for spreadsheets, SPEC §7).

A batch holding anything else (an object or nested array, an integer of 17 digits or more,
whose double prints in exponent form) goes the exact slow way: ``json.loads`` and
:func:`engine.spreadsheet.cell` per value.
"""
from __future__ import annotations

import gc
import json
import re
from typing import Iterable, Iterator

from engine.spreadsheet import FORMULA_STARTS, QUOTE, cell

STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
LONG_INTEGER = re.compile(r'[\[,]-?\d{17,}[\],]')
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
    joined = "".join(texts)
    strings = "".join(STRING.findall(joined))
    # No text value holds a separator, bracket or escape: then every ``.0,`` or ``,null`` is
    # a number's or a null's, and every '"' delimits a text value.
    plain = not any(mark in strings for mark in ",[]\\\t\r")
    joined = joined.replace(", ", ",") if plain else joined     # PostgreSQL's separators
    if (not plain or "{" in joined or joined.count("[") != len(texts)
            or LONG_INTEGER.search(joined)):
        return [_exact_cells(values) for values in json.loads("[" + ",".join(texts) + "]")]
    joined = joined.replace(".0,", ",").replace(".0]", "]")
    joined = joined.replace(",null", ",").replace("[null", "[")
    for start, neutralised in NEUTRALISED:
        joined = joined.replace(start, neutralised)
    cells = joined.replace('"', "")[1:-1].replace("][", ",").split(",")
    if "-0" in cells:
        cells = ["0" if cell == "-0" else cell for cell in cells]
    return [cells[start:start + width] for start in range(0, len(cells), width)]


def _exact_cells(values: list) -> list[str]:
    return [cell(value, number_text) for value in values]


def csv_rows(batches: Iterable[list[tuple]], width: int) -> Iterator[list[str]]:
    """The CSV cells of each row ``(code, segment, effective segment, values JSON)``.

    The garbage collector is off meanwhile: the cells are millions of short-lived strings
    and lists, none in a reference cycle, which it would otherwise walk again and again."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield from _csv_rows(batches, width)
    finally:
        if collecting:
            gc.enable()


def _csv_rows(batches: Iterable[list[tuple]], width: int) -> Iterator[list[str]]:
    for batch in batches:
        values = value_cells([row[3] for row in batch], width)
        for (code, segment, effective, _), row_cells in zip(batch, values):
            yield [text_cell(code), text_cell(segment), text_cell(effective), *row_cells]
