"""Cells of the CSV (and any XLSX) files kamflow writes, safe to open in a spreadsheet (SPEC §7).

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula (and some
treat a leading tab or carriage return the same way), so a customer named
``=HYPERLINK("http://x")`` could run when an export is opened. Every writer puts text cells
through :func:`text_cell`, which prefixes such text with ``'``. The rule goes by the value's
type, not by its first character: a number (``-5``) is written as a number, never quoted,
because it is formatted after this decision. JSON output is not a spreadsheet and stays
verbatim.
"""
from __future__ import annotations

import csv
import datetime as dt
from typing import Any, Callable, TextIO

from sqlalchemy import String, case, func, literal, type_coerce

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def safe_text(text: str) -> str:
    """``text``, with a leading ``'`` when a spreadsheet would read it as a formula."""
    return QUOTE + text if text.startswith(FORMULA_STARTS) else text


def text_cell(value: str | None) -> str:
    """A text cell: '' for null, otherwise :func:`safe_text`."""
    if value is None:
        return ""
    return QUOTE + value if value.startswith(FORMULA_STARTS) else value


def sql_text_cell(expression):
    """SQL for :func:`text_cell` of a text expression, for writers that let the database make
    the cells."""
    text = type_coerce(expression, String)
    return case((func.substr(text, 1, 1).in_(FORMULA_STARTS), literal(QUOTE, String) + text),
                else_=func.coalesce(text, ""))


def cell(value: Any, number: Callable[[Any], str] = str) -> str:
    """Any exported value as a cell: '' for null, booleans ``true``/``false``, dates
    ``YYYY-MM-DD``, numbers by ``number`` (never quoted), text through :func:`safe_text`."""
    kind = type(value)
    if kind is str:
        return QUOTE + value if value.startswith(FORMULA_STARTS) else value
    if value is None:
        return ""
    if kind is bool:
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int | float):
        return number(value)
    return safe_text(str(value))


class _LineFeedEnds:
    """A stream adapter turning the CRLF that ends each csv record into LF."""

    def __init__(self, stream: TextIO):
        self._stream = stream

    def write(self, record: str) -> int:
        return self._stream.write(record[:-2] + "\n")


def lf_csv_writer(stream: TextIO):
    """A csv writer with LF line ends that still quotes a field holding a carriage return
    (with ``lineterminator="\\n"`` the csv module leaves a lone CR bare, which splits the
    row for a spreadsheet or another reader)."""
    return csv.writer(_LineFeedEnds(stream), lineterminator="\r\n")
