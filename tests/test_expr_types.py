"""Type checking: result types, refusals with message and position, demanded types."""
from __future__ import annotations

import pytest

from engine.errors import ExpressionError
from engine.expr import BOOLEAN, DATE, NULL, NUMBER, TEXT, ExprType, check, decimal, parse
from engine.expr.types import unify

ENV = {
    "revenue": NUMBER,
    "visits": NUMBER,
    "region": TEXT,
    "is_key": BOOLEAN,
    "since": DATE,
    "orders.amount": decimal(2),
    "orders.cost": decimal(2),
    "orders.quantity": decimal(3),
    "orders.date": DATE,
    "orders.product_line": TEXT,
}


def type_of(text, env=ENV, expect=None):
    return check(parse(text), env, expect)


@pytest.mark.parametrize(
    "text, typ",
    [
        ("revenue", NUMBER),
        ("1 + 2", NUMBER),
        ("revenue / visits", NUMBER),
        ("orders.amount", decimal(2)),
        ("orders.amount - orders.cost", decimal(2)),
        ("orders.amount + orders.quantity", decimal(3)),
        ("-orders.amount", decimal(2)),
        ("abs(orders.amount - orders.cost)", decimal(2)),
        ("min(orders.amount, orders.quantity)", decimal(3)),
        ("max(orders.amount, orders.cost)", decimal(2)),
        ("coalesce(orders.amount, orders.quantity)", decimal(3)),
        ("coalesce(orders.amount, null)", decimal(2)),
        ("orders.amount + null", decimal(2)),
        ("orders.amount + 1", NUMBER),
        ("orders.amount * 2", NUMBER),
        ("orders.amount / orders.cost", NUMBER),
        ("coalesce(orders.amount, 0)", NUMBER),
        ("min(orders.amount, revenue)", NUMBER),
        ("round(orders.amount, 1)", NUMBER),
        ("null + null", NUMBER),
        ("-null", NUMBER),
        ("abs(null)", NUMBER),
        ("min(null, null)", NUMBER),
        ("coalesce(null)", NULL),
        ("null", NULL),
        ("'x'", TEXT),
        ("month(orders.date)", TEXT),
        ("min(region, 'b')", TEXT),
        ("year(as_of)", NUMBER),
        ("days(orders.date, as_of)", NUMBER),
        ("days('2024-01-01', as_of)", NUMBER),
        ("month('2024-02-29')", TEXT),
        ("as_of", DATE),
        ("coalesce(orders.date, '2024-01-31')", DATE),
        ("coalesce('2024-01-31', orders.date)", DATE),
        ("max(since, '2024-01-31', as_of)", DATE),
        ("coalesce('2024-01-31', 'x')", TEXT),
        ("revenue > 1", BOOLEAN),
        ("orders.amount > 1.5", BOOLEAN),
        ("orders.amount == orders.quantity", BOOLEAN),
        ("orders.date >= '2024-01-01'", BOOLEAN),
        ("'2024-01-01' < as_of", BOOLEAN),
        ("orders.date in ['2024-01-01', '2024-02-29']", BOOLEAN),
        ("region in ['north', '华东']", BOOLEAN),
        ("revenue in [1, 2.5, -3]", BOOLEAN),
        ("orders.amount in [1, 2.5]", BOOLEAN),
        ("is_key in [true]", BOOLEAN),
        ("is_key == false", BOOLEAN),
        ("region is null", BOOLEAN),
        ("(revenue > 1) == is_key", BOOLEAN),
        ("not is_key", BOOLEAN),
        ("not null", BOOLEAN),
        ("is_key and null", BOOLEAN),
        ("is_key or revenue < 2", BOOLEAN),
        ("month(orders.date) == '2024-02'", BOOLEAN),
    ],
)
def test_result_types(text, typ):
    assert type_of(text) == typ


TYPE_REFUSALS = [
    ("'a' + 1", "'+' needs numbers, got text", 0),
    ("1 - is_key", "'-' needs numbers, got boolean", 4),
    ("revenue * (revenue > 1)", "'*' needs numbers, got boolean", 11),
    ("since + 1", "'+' needs numbers, got date; use days(from, to) for dates", 0),
    ("-region", "'-' needs numbers, got text", 1),
    ("not 5", "'not' needs booleans, got number", 4),
    ("is_key and revenue", "'and' needs booleans, got number", 11),
    ("region or is_key", "'or' needs booleans, got text", 0),
    ("region == 1", "cannot compare text with number", 10),
    ("revenue < region", "cannot compare number with text", 10),
    ("is_key == 1", "cannot compare boolean with number", 10),
    ("since == 1", "cannot compare date with number", 9),
    ("since < 'soon'", "cannot compare date with text", 8),
    ("since < '2024-1-1'", "cannot compare date with text", 8),
    ("since < '2024-02-30'", "'2024-02-30' is not a valid date", 8),
    ("since in ['2024-01-01', '2023-02-29']", "'2023-02-29' is not a valid date", 24),
    ("region in ['a', 1]", "cannot compare text with number", 16),
    ("is_key < true", "boolean values cannot be ordered with '<'", 0),
    ("revenue == null", "a comparison with null is always false; use 'is null' or "
                        "'is not null'", 11),
    ("null != revenue", "a comparison with null is always false; use 'is null' or "
                        "'is not null'", 0),
    ("revenu > 1", "unknown name 'revenu' (did you mean 'revenue'?)", 0),
    ("foo", "unknown name 'foo'", 0),
    ("abs + 1", "'abs' is a function: call it as abs(x)", 0),
    ("orders.amout", "unknown column 'orders.amout' (did you mean 'orders.amount'?)", 0),
    ("x.y", "attribute access is not allowed: 'x.y' is not a fact table column", 0),
    ("revenue.real", "attribute access is not allowed: 'revenue.real' is not a fact table "
                     "column (did you mean 'revenue'?)", 0),
    ("month(revenue)", "month() needs a date, got number", 6),
    ("year('2024')", "year() needs a date, got text", 5),
    ("days(since, 5)", "days() needs a date, got number", 12),
    ("coalesce(1, 'a')", "coalesce() arguments must share one type, got number and text", 12),
    ("coalesce(since, 'x')", "coalesce() arguments must share one type, got date and text", 16),
    ("min(region, 2)", "min() arguments must share one type, got text and number", 12),
    ("max(is_key, is_key)", "max() compares numbers, dates or text, got boolean", 4),
    ("abs(region)", "abs() needs numbers, got text", 4),
    ("round(region, 1)", "round() needs numbers, got text", 6),
    ("round(revenue, -1)", "round() takes the number of digits as an integer literal from 0 "
                           "to 15", 15),
    ("round(revenue, 1.5)", "round() takes the number of digits as an integer literal from 0 "
                            "to 15", 15),
    ("round(revenue, 16)", "round() takes the number of digits as an integer literal from 0 "
                           "to 15", 15),
    ("round(revenue, visits)", "round() takes the number of digits as an integer literal from 0 "
                               "to 15", 15),
    ("round(revenue, true)", "round() takes the number of digits as an integer literal from 0 "
                             "to 15", 15),
]


@pytest.mark.parametrize("text, message, position", TYPE_REFUSALS)
def test_type_refusals(text, message, position):
    with pytest.raises(ExpressionError) as caught:
        type_of(text)
    assert (caught.value.message, caught.value.position) == (message, position)


@pytest.mark.parametrize("text", ["revenue > 1", "is_key", "not null", "region in ['a']"])
def test_boolean_demanded_and_given(text):
    assert type_of(text, expect=BOOLEAN) == BOOLEAN


@pytest.mark.parametrize(
    "text, got", [("revenue", "number"), ("region", "text"), ("null", "null"),
                  ("orders.amount", "decimal(2)"), ("coalesce(since, as_of)", "date")]
)
def test_boolean_demanded_but_not_given(text, got):
    with pytest.raises(ExpressionError) as caught:
        type_of(text, expect=BOOLEAN)
    assert caught.value.message == f"expected a boolean expression, got {got}"
    assert caught.value.position == 0


def test_a_decimal_serves_where_a_number_is_demanded():
    assert type_of("orders.amount", expect=NUMBER) == decimal(2)
    assert type_of("orders.amount", expect=decimal(3)) == decimal(2)
    with pytest.raises(ExpressionError, match="expected a decimal"):
        type_of("revenue", expect=decimal(2))


def test_as_of_is_a_date_unless_the_environment_says_otherwise():
    assert type_of("as_of", env={}) == DATE
    assert type_of("as_of", env={"as_of": TEXT}) == TEXT


def test_names_must_come_from_the_environment():
    with pytest.raises(ExpressionError, match="unknown name 'revenue'"):
        type_of("revenue", env={"orders.amount": decimal(2)})


def test_arguments_repeated_in_sql_must_not_explode_its_size():
    """min/max repeat their arguments on PostgreSQL: 2**13 copies are too many."""
    text = "min(1, " * 12 + "revenue" + ")" * 12
    with pytest.raises(ExpressionError) as caught:
        type_of(text)
    assert caught.value.message == (
        "expression too complex: nested round/min/max would expand to 16381 SQL terms "
        "(at most 10000)")
    assert type_of("min(1, " * 11 + "revenue" + ")" * 11) == NUMBER


def test_decimal_scale_is_validated():
    assert decimal(2) == ExprType("decimal", 2) and str(decimal(3)) == "decimal(3)"
    for bad in (-1, 19, 1.5, True):
        with pytest.raises(ValueError):
            decimal(bad)


@pytest.mark.parametrize(
    "first, second, met",
    [
        (decimal(2), decimal(3), decimal(3)),
        (decimal(2), NUMBER, NUMBER),
        (NULL, decimal(2), decimal(2)),
        (TEXT, NULL, TEXT),
        (DATE, DATE, DATE),
        (TEXT, DATE, None),
        (BOOLEAN, NUMBER, None),
    ],
)
def test_unify(first, second, met):
    assert unify(first, second) == met
    assert unify(second, first) == met
