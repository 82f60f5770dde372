"""Parsers of the core columns' text cells: ids, enums, fixed-point amounts, dates, booleans.

Each parser takes a trimmed, non-empty cell and returns the value to stage, or raises
``CellError`` saying what was expected (the message adds what was found).
"""
from __future__ import annotations

import re
from typing import Callable

from engine.forms import (FORMAT_CHECKER, FORMAT_EXPECTED, CellError, parse_boolean,
                          parse_date)

__all__ = ["CellError", "Parser", "text", "identifier", "choice", "fixed_point", "email",
           "parse_boolean", "parse_date"]

Parser = Callable[[str], object]

_IDENTIFIER = re.compile(r"[a-z][a-z0-9_]*", re.ASCII)
# Integers of up to 15 digits before the point fit a BIGINT in thousandths with room to spare.
MAX_WHOLE_DIGITS = 15


def text(max_length: int | None) -> Parser:
    """Any text of at most ``max_length`` characters (the database column's size)."""
    def parse(cell: str) -> str:
        if max_length is not None and len(cell) > max_length:
            raise CellError(f"at most {max_length} characters")
        return cell

    return parse


def identifier(cell: str) -> str:
    """A lower-case identifier, as customer types are (SPEC §3.5: compared exactly)."""
    if not _IDENTIFIER.fullmatch(cell) or len(cell) > 50:
        raise CellError("a lower-case identifier (a-z, then a-z, 0-9 or _)")
    return cell


def choice(values: tuple[str, ...]) -> Parser:
    """One of ``values`` exactly."""
    allowed = frozenset(values)
    expected = "one of " + ", ".join(values)

    def parse(cell: str) -> str:
        if cell not in allowed:
            raise CellError(expected)
        return cell

    return parse


def fixed_point(places: int, what: str) -> Parser:
    """A decimal with at most ``places`` decimals as an integer of 10^-places units.

    Zeros past the last allowed place change nothing and are accepted (``12.500`` is 12.50
    yuan); any other further digit would be lost and is refused. (String methods rather than
    a regular expression: this runs for millions of cells.)
    """
    expected = f"{what} with at most {places} decimals"

    def parse(cell: str) -> int:
        whole, _, fraction = cell.partition(".")
        digits = whole[1:] if whole[:1] in ("+", "-") else whole
        number = digits + fraction
        if not (number.isdigit() and number.isascii()):  # isdigit alone takes ١ and ²
            raise CellError(expected)
        if len(digits) > MAX_WHOLE_DIGITS:
            raise CellError(f"{what} below 10^{MAX_WHOLE_DIGITS}")
        if len(fraction) > places and fraction[places:].strip("0"):
            raise CellError(expected)
        units = int(digits + fraction[:places].ljust(places, "0"))
        return -units if whole[:1] == "-" else units

    return parse


def email(max_length: int) -> Parser:
    """An e-mail address, checked as a form's ``email`` field is."""
    length = text(max_length)

    def parse(cell: str) -> str:
        if not FORMAT_CHECKER.conforms(length(cell), "email"):
            raise CellError(FORMAT_EXPECTED["email"])
        return cell

    return parse
