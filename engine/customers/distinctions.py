"""What keeps two similar names apart: numbers, kinds of institution, campuses and branches.

上海第一人民医院 and 上海第六人民医院 are 88 % similar by edit distance yet two hospitals; so are
杭州人民医院 and 杭州中医院, or 协和医院(东院) and 协和医院(西院). A fuzzy score cannot see that one
character carries the whole identity, so these differences veto a match whatever the score.
"""
from __future__ import annotations

import re

from engine.customers.places import AMBIGUOUS_PLACES

_DIGITS = {**{c: i for i, c in enumerate("〇一二三四五六七八九")}, "零": 0, "两": 2}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_NUMBER = re.compile(r"[0-9]+|[〇零一二三四五六七八九十百千两]+")

# Words that name what an institution is; two names that differ in them are two institutions
# (人民医院 / 中医院 / 妇幼保健院 / 儿童医院…). In normalized (simplified) spelling.
INSTITUTION_KINDS = (
    "人民", "中医", "中西医", "蒙医", "藏医", "维医", "民族医", "妇幼", "保健", "妇产", "妇女",
    "儿童", "妇儿", "肿瘤", "口腔", "眼科", "耳鼻喉", "精神", "心理", "传染", "结核", "胸科",
    "肺科", "骨科", "骨伤", "康复", "老年", "皮肤", "心血管", "心脏", "脑科", "神经", "血液",
    "整形", "美容", "中心", "职业病", "疗养", "护理", "急救", "疾控", "疾病预防", "血站",
    "卫生院", "社区", "卫生服务", "诊所", "门诊", "军区", "武警", "解放军", "部队", "公安",
    "铁路", "监狱",
)
# Words that name one campus of a hospital (东院 and 西院 are two customers).
CAMPUS_WORDS = ("东院", "西院", "南院", "北院", "东区", "西区", "南区", "北区", "分院", "院区")
# 吉林省… and 吉林市… keep their level word (see places.AMBIGUOUS_PLACES): it tells them apart.
_LEVEL_WORDS = tuple(place + level for place in AMBIGUOUS_PLACES for level in ("省", "市"))
_DISTINGUISHING_WORDS = INSTITUTION_KINDS + CAMPUS_WORDS + _LEVEL_WORDS
_BRACKETED = re.compile(r"\(([^()]*)\)")


def chinese_number(text: str) -> int:
    """The value of a run of Chinese numerals: 六 → 6, 十一 → 11, 二十 → 20, 三〇一 → 301."""
    if not any(unit in text for unit in _UNITS):
        return int("".join(str(_DIGITS[char]) for char in text))
    total, digit = 0, None
    for char in text:
        if char in _UNITS:
            total += (1 if digit is None else digit) * _UNITS[char]
            digit = None
        elif _DIGITS[char]:
            digit = _DIGITS[char]
    return total + (digit or 0)


def numbers_in(name: str) -> tuple[int, ...]:
    """The numbers a name holds, in order, Arabic or Chinese (第一 and 第1 are both 1)."""
    return tuple(int(run) if run.isdigit() else chinese_number(run)
                 for run in _NUMBER.findall(name))


def distinguishing_words(name: str) -> frozenset[str]:
    """The institution-kind, campus and level words found in a normalized name."""
    return frozenset(word for word in _DISTINGUISHING_WORDS if word in name)


def qualifiers(name: str) -> tuple[str, ...]:
    """The bracketed parts of a normalized name: (东院), (人民路店)."""
    return tuple(_BRACKETED.findall(name))


def why_distinct(first: str, second: str) -> str | None:
    """Why two normalized names cannot be one customer, or None if nothing tells them apart."""
    if numbers_in(first) != numbers_in(second):
        return "different numbers"
    first_parts, second_parts = qualifiers(first), qualifiers(second)
    if first_parts and second_parts and first_parts != second_parts:
        return "different bracketed branch"
    words = distinguishing_words(first) ^ distinguishing_words(second)
    if words:
        return "different kind or campus: " + ", ".join(sorted(words))
    return None
