"""Streamed CSV downloads: BOM and header first, then rows in batches, nothing lost at the
edges of a batch."""
from __future__ import annotations

import csv
import io

from web.downloads import BATCH, csv_chunks


def test_rows_come_in_batches_and_read_back_whole():
    rows = [[n, f"名称{n}", "a,b"] for n in range(2 * BATCH + 1)]
    chunks = list(csv_chunks(["id", "name", "note"], rows))
    assert chunks[0] == "\ufeffid,name,note\r\n"
    assert len(chunks) == 1 + 2 + 1          # header, two full batches, the rest
    read = list(csv.reader(io.StringIO("".join(chunks)[1:])))
    assert read[0] == ["id", "name", "note"] and len(read) == len(rows) + 1
    assert read[-1] == [str(2 * BATCH), f"名称{2 * BATCH}", "a,b"]


def test_no_rows_is_a_header_alone():
    assert "".join(csv_chunks(["id"], [])) == "\ufeffid\r\n"
