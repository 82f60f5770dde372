"""Human text in definitions: a string, or a map of locale to string."""
from __future__ import annotations

DEFAULT_LOCALES = ("en", "zh")
# The language of the product's own text where nobody chose one (settings: DEFAULT_LOCALE).
DEFAULT_LOCALE = "zh"


def pick_text(text, locale: str | None = None) -> str:
    """The text for ``locale``, else English, else Chinese, else any; '' for None."""
    if text is None:
        return ""
    if isinstance(text, str):
        return text
    for candidate in (locale, *DEFAULT_LOCALES):
        if candidate and candidate in text:
            return text[candidate]
    return next(iter(text.values()), "")


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """``1 customer``, ``2 customers`` (``plural`` when adding an s will not do)."""
    return f"{count:,} {noun if count == 1 else plural or noun + 's'}"


def aligned_table(header: list[str], rows: list[list[str]]) -> list[str]:
    """Left-aligned first column, right-aligned numbers, two spaces between columns."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells):
        first = cells[0].ljust(widths[0])
        rest = (cell.rjust(width) for cell, width in zip(cells[1:], widths[1:]))
        return "  ".join([first, *rest]).rstrip()

    return [line(header), *(line(r) for r in rows)]
