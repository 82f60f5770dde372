"""``find_duplicates`` and ``kamflow customers duplicates``: variants found, near misses not."""
from __future__ import annotations

import itertools

import pytest

from engine.customers.duplicates import find_duplicates
from engine.customers.names import normalize_name
from engine.models import Customer, CustomerAlias
from tests.customers_support import run  # noqa: F401  (fixture)

VARIANTS = {"SH1": "上海市第一人民医院", "SH2": "上海第一人民医院", "SH3": "上海市第一人民醫院",
            "SH4": "上海市\u3000第一人民医院"}


def add_customers(session, rows, *, type_="hospital", city="上海"):
    """Insert customers from ``{code: name}``, normalized as the import stores them."""
    customers = [Customer(code=code, name=name, normalized_name=normalize_name(name),
                          type=type_, city=city) for code, name in rows.items()]
    session.add_all(customers)
    session.commit()
    return customers


def pairs_of(pairs):
    return {(p.code, p.other_code) for p in pairs}


def test_the_four_spellings_are_found_pairwise(session):
    add_customers(session, VARIANTS)
    pairs = find_duplicates(session)
    assert pairs_of(pairs) == set(itertools.combinations(sorted(VARIANTS), 2))
    assert {(p.score, p.reason) for p in pairs} == {(100.0, "same normalized name")}
    first = pairs[0]
    assert (first.code, first.name, first.other_code, first.other_name) == (
        "SH1", "上海市第一人民医院", "SH2", "上海第一人民医院")
    assert (first.type, first.city) == ("hospital", "上海")


def test_near_misses_are_not_found(session):
    add_customers(session, {"SH1": "上海市第一人民医院", "SH6": "上海市第六人民医院"})
    add_customers(session, {"HZ1": "杭州市人民医院", "HZ2": "杭州市中医院",
                            "HZ3": "杭州市第一人民医院", "HZ4": "杭州市第一中医院",
                            "HZ5": "杭州市妇幼保健院", "HZ6": "杭州市儿童医院",
                            "HZ7": "浙大一院", "HZ8": "浙大二院"}, city="杭州")
    assert find_duplicates(session, min_score=50) == []


def test_campuses_are_kept_apart_but_their_spellings_are_found(session):
    add_customers(session, {"PU1": "北京协和医院（东院）", "PU2": "北京協和醫院【東院】",
                            "PU3": "北京协和医院（西院）"}, city="北京")
    pairs = find_duplicates(session)
    assert [(p.code, p.other_code, p.reason) for p in pairs] == [
        ("PU1", "PU2", "same normalized name")]


def test_similar_names_come_with_their_score(session):
    add_customers(session, {"A": "浙江杭州第一人民医院", "B": "杭州市第一人民医院"}, city="杭州市")
    [pair] = find_duplicates(session)
    assert (pair.code, pair.other_code, pair.score, pair.reason) == (
        "A", "B", 88.9, "names 88% similar")
    assert find_duplicates(session, min_score=90) == []


def test_only_customers_of_one_type_and_city_are_compared(session):
    add_customers(session, {"SH1": "上海市第一人民医院"})
    add_customers(session, {"SH9": "上海第一人民医院"}, city="上海市")  # same city, spelled so
    add_customers(session, {"HZ1": "上海第一人民医院"}, city="杭州")
    add_customers(session, {"PH1": "上海第一人民医院"}, type_="pharmacy")
    add_customers(session, {"NC1": "上海第一人民医院", "NC2": "上海市第一人民医院"}, city=None)
    assert pairs_of(find_duplicates(session)) == {("SH1", "SH9"), ("NC1", "NC2")}
    assert find_duplicates(session, customer_type="pharmacy") == []


def test_aliases_count_as_names(session):
    one, _ = add_customers(session, {"X1": "沪一院", "Y1": "上海第一人民医院"})
    session.add(CustomerAlias(customer_id=one.id, name="上海市第一人民醫院",
                              normalized_name=normalize_name("上海市第一人民醫院"),
                              former_code="OLD1"))
    session.commit()
    [pair] = find_duplicates(session)
    assert (pair.code, pair.other_code, pair.score) == ("X1", "Y1", 100.0)
    assert pair.reason == "same normalized name (via alias '上海市第一人民醫院' of X1)"


def test_a_customer_is_not_its_own_duplicate(session):
    [one] = add_customers(session, {"X1": "上海市第一人民医院"})
    session.add(CustomerAlias(customer_id=one.id, name="上海第一人民医院",
                              normalized_name="上海第一人民医院"))
    session.commit()
    assert find_duplicates(session) == []


def test_out_of_range_min_score_is_refused(session):
    with pytest.raises(ValueError, match="min_score must lie in 0–100"):
        find_duplicates(session, min_score=120)




def test_cli_prints_a_table(run, session):
    add_customers(session, {"SH1": "上海市第一人民医院", "SH2": "上海第一人民医院"})
    result = run("duplicates")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "score  code  name                other_code  other_name        type      city  reason",
        "100    SH1   上海市第一人民医院  SH2         上海第一人民医院  hospital  上海  "
        "same normalized name",
        "1 likely duplicate pair"]


def test_cli_prints_csv(run, session):
    add_customers(session, {"A": "浙江杭州第一人民医院", "B": "杭州市第一人民医院"}, city="杭州")
    result = run("duplicates", "--format", "csv", "--min-score", "80")
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "score,code,name,other_code,other_name,type,city,reason",
        "88.9,A,浙江杭州第一人民医院,B,杭州市第一人民医院,hospital,杭州,names 88% similar"]


def test_cli_says_when_there_is_nothing(run, session):
    add_customers(session, {"SH1": "上海市第一人民医院", "SH6": "上海市第六人民医院"})
    result = run("duplicates")
    assert (result.exit_code, result.output) == (0, "no likely duplicates found\n")


def test_cli_refuses_a_score_out_of_range(run):
    result = run("duplicates", "--min-score", "101")
    assert result.exit_code == 2
    assert "101" in result.output and "0<=x<=100" in result.output
