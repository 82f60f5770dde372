"""Customer names compare equal however an ERP spelled them, and near misses stay apart."""
from __future__ import annotations

import pytest
from rapidfuzz import fuzz

from engine.customers.distinctions import chinese_number, numbers_in, why_distinct
from engine.customers.duplicates import DEFAULT_MIN_SCORE
from engine.customers.names import normalize_name

SHANGHAI_FIRST = ("上海市第一人民医院", "上海第一人民医院", "上海市第一人民醫院", "上海市\u3000第一人民医院")


@pytest.mark.parametrize("spelling", SHANGHAI_FIRST)
def test_the_four_spellings_of_one_hospital_normalize_equal(spelling):
    assert normalize_name(spelling) == "上海第一人民医院"


def test_near_misses_stay_different():
    assert normalize_name("上海市第六人民医院") == "上海第六人民医院"
    assert normalize_name("杭州市人民医院") != normalize_name("杭州市中医院")


@pytest.mark.parametrize(("written", "normalized"), [
    ("ＡＢＣ　医院１号", "abc医院1号"),                      # full width, ideographic space
    (" 北京\t协和\u00a0医院\u200b\n", "北京协和医院"),         # every white space, zero width
    ("北京协和医院（东院）", "北京协和医院(东院)"),               # campus kept, brackets unified
    ("北京協和醫院【東院】", "北京协和医院(东院)"),
    ("北京协和医院[东院]", "北京协和医院(东院)"),
    ("北京协和医院〔东院〕", "北京协和医院(东院)"),
    ("北京协和医院（）", "北京协和医院"),                        # empty brackets go
    ("华润·万家大药房", "华润万家大药房"),
    ("臺灣大學醫學院附設醫院", "台湾大学医学院附设医院"),
])
def test_width_space_brackets_and_script(written, normalized):
    assert normalize_name(written) == normalized


@pytest.mark.parametrize(("written", "normalized"), [
    ("广东省人民医院", "广东人民医院"),
    ("广西壮族自治区人民医院", "广西人民医院"),
    ("广西自治区人民医院", "广西人民医院"),
    ("新疆维吾尔自治区人民医院", "新疆人民医院"),
    ("宁夏回族自治区人民医院", "宁夏人民医院"),
    ("内蒙古自治区人民医院", "内蒙古人民医院"),
    ("香港特别行政区玛丽医院", "香港玛丽医院"),
    ("北京市朝阳区人民医院", "北京朝阳区人民医院"),
    ("浙江省杭州市第一人民医院", "杭州第一人民医院"),   # the city places it; the province goes
    ("浙江杭州市第一人民医院", "杭州第一人民医院"),
    ("杭州市第一人民医院", "杭州第一人民医院"),
    ("乌鲁木齐市友谊医院", "乌鲁木齐友谊医院"),
    ("吉林省延边朝鲜族自治州人民医院", "延边人民医院"),
    ("黔东南苗族侗族自治州人民医院", "黔东南人民医院"),
])
def test_level_words_of_leading_places_are_dropped(written, normalized):
    assert normalize_name(written) == normalized


@pytest.mark.parametrize("name", [
    "北京大学第一医院", "江西路大药房", "永辉超市药店", "农贸市场药店", "第一人民医院"])
def test_names_without_a_leading_place_level_are_left_alone(name):
    assert normalize_name(name) == name


def test_province_and_city_of_one_name_stay_apart():
    """吉林省人民医院 (provincial) and 吉林市人民医院 (municipal) are two hospitals."""
    assert normalize_name("吉林省人民医院") == "吉林省人民医院"
    assert normalize_name("吉林市人民医院") == "吉林市人民医院"
    assert normalize_name("吉林省吉林市人民医院") == "吉林市人民医院"
    assert why_distinct("吉林省人民医院", "吉林市人民医院") is not None


def test_empty_names_normalize_to_empty():
    assert normalize_name("") == "" and normalize_name(None) == ""


@pytest.mark.parametrize(("numeral", "value"), [
    ("一", 1), ("六", 6), ("十", 10), ("十一", 11), ("二十", 20), ("二十三", 23),
    ("一百零五", 105), ("三〇一", 301), ("两", 2)])
def test_chinese_numbers(numeral, value):
    assert chinese_number(numeral) == value


def test_numbers_read_arabic_and_chinese_alike():
    assert numbers_in("解放军第301医院") == numbers_in("解放军第三〇一医院") == (301,)


@pytest.mark.parametrize(("first", "second", "why"), [
    ("上海第一人民医院", "上海第六人民医院", "different numbers"),
    ("浙大一院", "浙大二院", "different numbers"),
    ("杭州人民医院", "杭州中医院", "different kind or campus: 中医, 人民"),
    ("温州第一人民医院", "温州第一妇幼保健院", "different kind or campus: 人民, 保健, 妇幼"),
    ("温州儿童医院", "温州妇女医院", "different kind or campus: 儿童, 妇女"),
    ("北京协和医院(东院)", "北京协和医院(西院)", "different bracketed branch"),
    ("北京协和医院东院", "北京协和医院", "different kind or campus: 东院"),
    ("老百姓大药房(人民路店)", "老百姓大药房(解放路店)", "different bracketed branch"),
])
def test_near_misses_are_told_apart(first, second, why):
    assert why_distinct(first, second) == why


def test_the_number_veto_is_what_keeps_first_and_sixth_apart():
    first, sixth = normalize_name("上海市第一人民医院"), normalize_name("上海市第六人民医院")
    assert fuzz.ratio(first, sixth) >= DEFAULT_MIN_SCORE


@pytest.mark.parametrize(("first", "second"), [
    ("浙江杭州第一人民医院", "杭州第一人民医院"),
    ("北京协和医院(东院)", "北京协和医院东院"),
    ("解放军第301医院", "解放军第三〇一医院"),
])
def test_variants_are_not_told_apart(first, second):
    assert why_distinct(first, second) is None
