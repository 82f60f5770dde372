"""Which encoding a CSV file is in, settled for the whole file before any row is read.

Without ``--encoding`` a file is read as UTF-8 if all of it is strict UTF-8, else as GB18030
(which GBK is a subset of), as Chinese ERPs export. With ``--encoding`` the file must be valid
in it; and a GBK/GB18030 file that is in fact UTF-8 (non-ASCII, and all of it strict UTF-8,
which GBK text almost never is) is refused too, since decoding it as GBK gives mojibake
rather than an error. Either way a wrongly encoded file is one problem for the file, found by
one streaming pass over its bytes (memory stays flat), instead of a problem per cell.
"""
from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import Path

from engine.imports.problems import ReadError

UTF8, GBK, GB18030 = "utf-8", "gbk", "gb18030"
ENCODINGS = (UTF8, GBK, GB18030)
CHUNK_BYTES = 1 << 20
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_NON_ASCII_RUN = re.compile(rb"[\x80-\xff]{1,24}")


def label(encoding: str) -> str:
    """``UTF-8``, ``GBK``, ``GB18030``: an encoding as messages name it."""
    return encoding.upper()


@dataclass(frozen=True)
class Scan:
    """What one pass over a file's bytes found for one codec: where the first byte that is not
    text in it is (``None``: all of the file is), and the first non-ASCII bytes (``None``: the
    file is ASCII)."""

    error_line: int | None
    non_ascii: bytes | None


def scan(path: Path, encoding: str) -> Scan:
    """Decode the file at ``path`` strictly as ``encoding``, a chunk at a time."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    lines, non_ascii = 1, None
    with open(path, "rb") as source:
        while chunk := source.read(CHUNK_BYTES):
            if non_ascii is None and not chunk.isascii():
                non_ascii = _NON_ASCII_RUN.search(chunk).group()
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return Scan(lines + chunk.count(b"\n", 0, max(exc.start, 0)), non_ascii)
            lines += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return Scan(lines, non_ascii)
    return Scan(None, non_ascii)


def settle(path: Path, given: str | None) -> str:
    """The codec to read the file at ``path`` with (``given`` checked, or the one detected);
    raise ``ReadError`` (a problem of the whole file) if it is not text in it."""
    if given is not None:
        return _check_given(path, given.lower())
    if scan(path, UTF8).error_line is None:
        return UTF8
    if scan(path, GB18030).error_line is None:
        return GB18030
    raise ReadError(None, "UTF-8 or GB18030 text", _neither(path))


def _neither(path: Path) -> str:
    with open(path, "rb") as source:
        start = source.read(2)
    if start in UTF16_BOMS:
        return "a UTF-16 file (save it as CSV UTF-8)"
    line = scan(path, UTF8).error_line
    return f"bytes that are neither, on line {line}"


def _check_given(path: Path, encoding: str) -> str:
    if encoding not in ENCODINGS:
        raise ValueError(f"unknown encoding {encoding!r}; known: {', '.join(ENCODINGS)}")
    shown = label(encoding)
    if encoding != UTF8:
        utf8 = scan(path, UTF8)
        if utf8.error_line is None and utf8.non_ascii is not None:
            mojibake = utf8.non_ascii.decode(encoding, "replace")
            raise ReadError(None, f"{shown} text", f"a UTF-8 file (read as {shown} it would "
                                                   f"be {mojibake!r}…; leave out --encoding)")
    found = scan(path, encoding)
    if found.error_line is not None:
        hint = " (leave out --encoding to have it detected)"
        raise ReadError(None, f"{shown} text", f"bytes that are not {shown} on line "
                                               f"{found.error_line}{hint}")
    return encoding
