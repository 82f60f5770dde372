"""Customer name normalization (first cut: width and white space; refined by the clean-up work)."""
from __future__ import annotations

import re
import unicodedata

_SPACE = re.compile(r"\s+")


def normalize_name(name: str) -> str:
    """A comparable form of a customer name: half width, no white space."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", name or ""))
