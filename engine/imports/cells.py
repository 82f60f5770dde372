"""Parsers of the core columns' text cells: ids, enums, fixed-point amounts, dates, booleans.

Each parser takes a trimmed, non-empty cell and returns the value to stage, or raises
``CellError`` saying what was expected (the message adds what was found).
"""
from __future__ import annotations

import re
import unicodedata
from typing import Callable

from engine.forms import (FORMAT_CHECKER, FORMAT_EXPECTED, WHITE_SPACE, CellError,
                          parse_boolean, parse_date)

__all__ = ["CellError", "Parser", "text", "code", "identifier", "choice", "fixed_point",
           "email", "parse_boolean", "parse_date", "date", "DateTimeText"]

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


# Scripts whose letters may share one id (as in Unicode TS #39's "highly restrictive" level):
# Chinese, Japanese and Korean codes mix their own scripts with Latin letters and digits.
SCRIPT_MIXES = (frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
                frozenset({"LATIN", "HAN", "BOPOMOFO"}),
                frozenset({"LATIN", "HAN", "HANGUL"}))
# A script is the first word of a character's Unicode name, but for these.
_SCRIPT_NAMES = {"CJK": "HAN", "IDEOGRAPHIC": "HAN", "KATAKANA-HIRAGANA": "KATAKANA",
                 "HALFWIDTH": "KATAKANA"}
# Cyrillic and Greek letters that look like Latin ones: an id spelled in them alone (``Н110003``)
# passes for a Latin one (``H110003``).
LATIN_LOOKALIKES = dict(zip("АВЕКМНОРСТХЅІЈаеорсухѕіјһԁԛԝΑΒΕΖΗΙΚΜΝΟΡΤΥΧοι",
                            "ABEKMHOPCTXSIJaeopcyxsijhdqwABEZHIKMNOPTYXoi"))
# Default-ignorable characters that are not of category Cf (format): fillers, selectors.
_IGNORABLE = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180f\u3164\uffa0"
                       + "".join(map(chr, range(0xFE00, 0xFE10))))


def code(max_length: int | None) -> Parser:
    """An id (customer code, order id, username …) or a reference to one, compatibility-
    normalized (NFKC: full-width ``Ｈ110003`` is ``H110003``). Invisible characters (zero-width
    space and joiner …) and letters of scripts that do not go together (a Cyrillic ``Н``
    beside Latin letters) are refused: they make two ids that look the same."""
    length = text(max_length)

    def parse(cell: str) -> str:
        if cell.isascii():
            return length(cell)
        normal = unicodedata.normalize("NFKC", cell).strip(WHITE_SPACE)
        for position, char in enumerate(normal, 1):
            if char in _IGNORABLE or unicodedata.category(char) == "Cf":
                raise CellError(f"an id without invisible characters such as {_named(char)} "
                                f"(character {position})")
        mixed = _mixed_scripts(normal)
        if mixed:
            raise CellError(f"an id whose letters are of one script, not {mixed}")
        lookalike = _latin_lookalike(normal)
        if lookalike:
            raise CellError(f"an id in Latin letters where it looks like one, not {lookalike}")
        return length(normal)

    return parse


def _named(char: str) -> str:
    return f"U+{ord(char):04X} {unicodedata.name(char, '(unnamed)')}"


def _script(char: str) -> str | None:
    """The script of a letter or digit (``None`` for ASCII digits and other characters)."""
    if char.isascii():
        return "LATIN" if char.isalpha() else None
    if unicodedata.category(char)[0] not in "LN":
        return None
    first = unicodedata.name(char, "").partition(" ")[0]
    return _SCRIPT_NAMES.get(first, first) or None


def _mixed_scripts(cell: str) -> str | None:
    """How ``cell`` mixes scripts that do not go together, or ``None`` if it does not."""
    seen: dict[str, str] = {}
    for char in cell:
        script = _script(char)
        if script is None or script in seen:
            continue
        seen[script] = char
        if len(seen) > 1 and not any(seen.keys() <= mix for mix in SCRIPT_MIXES):
            others = " and ".join(s.title() for s in seen if s != script)
            return f"{others} beside {script.title()} {char!r} ({_named(char)})"
    return None


def _latin_lookalike(cell: str) -> str | None:
    """The first letter of ``cell`` if all its letters look like Latin ones but are not."""
    letters = [c for c in cell if c.isalpha()]
    if letters and all(c in LATIN_LOOKALIKES for c in letters):
        char = letters[0]
        return f"{_script(char).title()} {char!r} ({_named(char)}) for Latin " \
               f"{LATIN_LOOKALIKES[char]!r}"
    return None


class DateTimeText(str):
    """An XLSX date-time cell's text (``2026-02-03 10:30:00``); ``day`` is its date as
    ``YYYY-MM-DD``, which is what a date column takes of it."""

    day: str

    @classmethod
    def of(cls, text: str, day: str) -> "DateTimeText":
        cell = cls(text)
        cell.day = day
        return cell


class NotACalendarDate(CellError):
    """A cell shaped as a date that no calendar has (``2026-02-30``)."""

    note = " (not a calendar date)"


_DATE_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def date(cell: str) -> str:
    """A date column's cell: ``YYYY-MM-DD`` of a real calendar date, or an XLSX date-time
    cell, which counts by its date."""
    if type(cell) is DateTimeText:
        return cell.day
    try:
        return parse_date(cell)
    except CellError as exc:
        if _DATE_SHAPE.fullmatch(cell):
            raise NotACalendarDate(exc.expected) from None
        raise


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
