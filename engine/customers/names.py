"""Customer name normalization: one comparable spelling for the ways ERPs write a name.

The normalized name is a comparison key, stored beside the name as it was written; it is never
shown in place of the name. Steps, in order:

1. NFKC: full-width letters, digits and brackets become half width (（东院） → (东院)).
2. Every Unicode White_Space character (U+3000 too) and every invisible format character
   (zero-width space, BOM) is removed: Chinese names carry no meaningful spaces.
3. Traditional characters become simplified (醫院 → 医院), with OpenCC's ``t2s`` tables.
4. Latin letters are case-folded.
5. Brackets of every shape ( ) [ ] 【 】 〔 〕 〖 〗 { } become ``(`` and ``)``; their content stays,
   because a bracketed campus or branch (东院, 人民路店) names a different customer. Empty
   brackets go.
6. The level words after a leading province or city are dropped (上海市 → 上海, 广西壮族自治区 →
   广西), and a province before a city goes (浙江省杭州市 → 杭州): see ``places``.
"""
from __future__ import annotations

import functools
import re
import unicodedata

from engine.customers.places import strip_place_levels

# Unicode White_Space (as str.isspace, which also counts U+001C–U+001F) and format characters.
_INVISIBLE = re.compile(r"[\s\u200b-\u200d\u2060\ufeff\u00ad]+")
_SEPARATORS = re.compile(r"[·・•]")
_BRACKETS = str.maketrans({
    **{c: "(" for c in "([{【〔〖〘〚"},
    **{c: ")" for c in ")]}】〕〗〙〛"},
})
_EMPTY_BRACKETS = re.compile(r"\(\)")


@functools.cache
def _to_simplified():
    """OpenCC's traditional → simplified converter, built once (it loads its dictionaries)."""
    from opencc import OpenCC

    return OpenCC("t2s").convert


def normalize_name(name: str) -> str:
    """A comparable form of a customer name (see the module docstring for the steps).

    上海市第一人民医院, 上海第一人民医院, 上海市第一人民醫院 and 上海市　第一人民医院 all give
    上海第一人民医院; 上海市第六人民医院 gives 上海第六人民医院.
    """
    text = unicodedata.normalize("NFKC", name or "")
    text = _SEPARATORS.sub("", _INVISIBLE.sub("", text))
    if not text.isascii():
        text = _to_simplified()(text)
    text = text.casefold().translate(_BRACKETS)
    text = _EMPTY_BRACKETS.sub("", text)
    return strip_place_levels(text)
