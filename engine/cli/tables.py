"""Plain-text tables for the terminal, aligned for Chinese text (CJK characters take two columns)."""
from __future__ import annotations

import unicodedata


def display_width(text: str) -> int:
    """Columns a terminal gives ``text``: wide and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def format_table(rows: list[list[str]]) -> list[str]:
    """The rows (header first) as lines with columns padded to their widest cell."""
    widths = [max(display_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell + " " * (width - display_width(cell))
                      for cell, width in zip(row, widths)).rstrip() for row in rows]
