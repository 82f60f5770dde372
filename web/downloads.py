"""CSV downloads streamed from the database: UTF-8 with a BOM (so Excel reads Chinese), CRLF
rows, sent in batches so that memory stays flat however many rows there are. Cells are written
as given: callers neutralise formula text with ``engine.spreadsheet.cell``."""
from __future__ import annotations

import csv
import io
from typing import Iterable, Sequence

from flask import Response, stream_with_context

BATCH = 500


def csv_chunks(header: Sequence[str], rows: Iterable[Sequence]) -> Iterable[str]:
    """The BOM and the header, then the rows a batch at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def taken() -> str:
        data = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return data

    buffer.write("\ufeff")
    writer.writerow(header)
    yield taken()
    for n, row in enumerate(rows, 1):
        writer.writerow(row)
        if n % BATCH == 0:
            yield taken()
    yield taken()


def csv_download(header: Sequence[str], rows: Iterable[Sequence], filename: str) -> Response:
    """A streamed CSV attachment; ``rows`` is read while the response is sent (inside the
    request's context, so it may open its own database connection)."""
    response = Response(stream_with_context(csv_chunks(header, rows)), mimetype="text/csv")
    response.headers["Content-Disposition"] = f"attachment; filename={filename}"
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    return response
