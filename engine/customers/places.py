"""Leading place names in Chinese customer names, and the administrative suffixes they carry.

ERP exports spell one hospital 上海市第一人民医院, 上海第一人民医院 or 浙江省杭州市…: the level
word (省, 市, 自治区, 特别行政区) after the leading place is noise for comparison, so it is dropped,
and a province before a city (浙江省杭州市) is dropped too because the city already places it.
Only the start of a name is read: a place later in the name (人民路店) is part of the name.
"""
from __future__ import annotations

import re

# Provincial-level divisions, short name → the level words that may follow it.
_AUTONOMOUS = ("自治区",)
PROVINCES: dict[str, tuple[str, ...]] = {
    **{name: ("省",) for name in (
        "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江", "安徽", "福建", "江西", "山东",
        "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州", "云南", "陕西", "甘肃", "青海",
        "台湾")},
    **{name: ("市",) for name in ("北京", "天津", "上海", "重庆")},
    **{name: _AUTONOMOUS for name in ("内蒙古", "广西", "西藏", "宁夏", "新疆")},
    **{name: ("特别行政区",) for name in ("香港", "澳门")},
}

# Peoples named in the full names of autonomous regions and prefectures (广西壮族自治区,
# 黔东南苗族侗族自治州); longest first so that 蒙古 is not read as a shorter name.
_PEOPLES = sorted((
    "壮", "回", "维吾尔", "藏", "蒙古", "朝鲜", "苗", "侗", "彝", "土家", "布依", "哈尼", "傣",
    "白", "景颇", "傈僳", "哈萨克", "柯尔克孜", "羌", "土", "撒拉", "黎", "瑶", "畲", "满",
    "仡佬", "水", "纳西", "怒", "独龙", "普米", "拉祜", "佤", "达斡尔", "鄂温克", "锡伯",
), key=len, reverse=True)
# 族 is sometimes left out of the official name itself (新疆维吾尔自治区).
_PEOPLE = "(?:(?:" + "|".join(_PEOPLES) + ")族?)"

# A place whose province and city share a name: 吉林省人民医院 and 吉林市人民医院 are two
# hospitals, so the level word stays for these.
AMBIGUOUS_PLACES = frozenset({"吉林"})

_CJK = r"[\u4e00-\u9fff]"
_PROVINCE = re.compile(
    "(?P<place>" + "|".join(sorted(PROVINCES, key=len, reverse=True)) + ")"
    f"(?P<level>省|市|特别行政区|{_PEOPLE}*自治区)?"
)
# A prefecture- or county-level city: two to four characters and 市, not 超市 nor 市场.
_CITY = re.compile(f"(?P<place>{_CJK}{{2,4}}?)(?P<level>市)(?!场)")
_PREFECTURE = re.compile(f"(?P<place>{_CJK}{{2,4}}?)(?P<level>{_PEOPLE}+自治州)")


def strip_place_levels(name: str) -> str:
    """``name`` with the level words of its leading province and city removed.

    上海市第一人民医院 → 上海第一人民医院; 浙江省杭州市第一人民医院 → 杭州第一人民医院;
    广西壮族自治区人民医院 → 广西人民医院; 吉林市人民医院 stays (see ``AMBIGUOUS_PLACES``).
    """
    province = _province_at_start(name)
    rest = name[province.end():] if province else name
    city = _city_at_start(rest)
    if city:
        # The city places the customer; the province before it adds nothing.
        return _without_level(city) + rest[city.end():]
    if province:
        return _without_level(province) + rest
    return name


def _province_at_start(name: str) -> re.Match | None:
    match = _PROVINCE.match(name)
    if match is None:
        return None
    level = match["level"]
    if level is None:
        # 吉林市 is a city, not the province 吉林 followed by the rest of a name.
        return None if name[match.end():].startswith("市") else match
    return match if _level_fits(match["place"], level) else None


def _level_fits(place: str, level: str) -> bool:
    """Whether ``level`` is the level of ``place`` (上海市 yes, 浙江市 no)."""
    expected = PROVINCES[place]
    return level in expected or (expected == _AUTONOMOUS and level.endswith("自治区"))


def _city_at_start(text: str) -> re.Match | None:
    for pattern in (_PREFECTURE, _CITY):
        match = pattern.match(text)
        if match and not match["place"].endswith("超"):
            return match
    return None


def _without_level(match: re.Match) -> str:
    place = match["place"]
    return match.group(0) if place in AMBIGUOUS_PLACES else place
