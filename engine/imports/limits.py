"""How big a data file may be: fixed limits, checked before the file is read whole.

They are constants, not settings: they bound what one import may cost in memory and time,
whatever the file says about itself.

- A cell holds at most ``MAX_CELL_CHARS`` characters (Excel's own limit for a cell).
- A CSV row (all its cells and separators, quoted line breaks included) holds at most
  ``MAX_CSV_ROW_CHARS`` characters: Python's csv module refuses a longer cell anyway, and a
  line without end is refused before it is held in memory.
- A CSV file or an XLSX workbook's parts, uncompressed, hold at most ``MAX_DATA_BYTES``.
- An XLSX part that openpyxl reads whole (shared strings, styles, the workbook; everything but
  worksheets, which are streamed) holds at most ``MAX_WHOLE_PART_BYTES`` uncompressed; a part
  over ``RATIO_FLOOR_BYTES`` is at most ``MAX_COMPRESSION_RATIO`` times its compressed size;
  a workbook has at most ``MAX_XLSX_PARTS`` parts, each stored or deflated.
- A worksheet has at most ``MAX_XLSX_ROWS`` rows and ``MAX_XLSX_COLUMNS`` columns (Excel's).
"""
from __future__ import annotations

KIB, MIB, GIB = 1 << 10, 1 << 20, 1 << 30

MAX_CELL_CHARS = 32_767
MAX_CSV_ROW_CHARS = 131_072
MAX_DATA_BYTES = 1 * GIB
MAX_WHOLE_PART_BYTES = 256 * MIB
MAX_COMPRESSION_RATIO = 100
RATIO_FLOOR_BYTES = 1 * MIB
MAX_XLSX_PARTS = 10_000
MAX_XLSX_ROWS = 1_048_576
MAX_XLSX_COLUMNS = 16_384


def size_text(size: int) -> str:
    """A byte count as a person reads it: ``1 GiB``, ``256 MiB``, ``1.7 GiB``, ``312 bytes``."""
    for unit, name in ((GIB, "GiB"), (MIB, "MiB"), (KIB, "KiB")):
        if size >= unit:
            return f"{size / unit:.1f}".removesuffix(".0") + f" {name}"
    return f"{size} bytes"
