"""Parsing expressions: precedence, literals, and every refusal with its message and position."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from engine.errors import ExpressionError
from engine.expr import names_in, parse
from engine.expr.nodes import Binary, Call, InList, IsNull, Literal, Name, Unary

a, b, c, x = Name("a"), Name("b"), Name("c"), Name("x")


def lit(value):
    return Literal(value)


@pytest.mark.parametrize(
    "text, tree",
    [
        ("1 + 2 * 3", Binary("+", lit(1), Binary("*", lit(2), lit(3)))),
        ("(1 + 2) * 3", Binary("*", Binary("+", lit(1), lit(2)), lit(3))),
        ("a - b - c", Binary("-", Binary("-", a, b), c)),
        ("a / b / c", Binary("/", Binary("/", a, b), c)),
        ("a - b * c / x", Binary("-", a, Binary("/", Binary("*", b, c), x))),
        ("-a * b", Binary("*", Unary("-", a), b)),
        ("- -a", Unary("-", Unary("-", a))),
        ("-2 * 3", Binary("*", Unary("-", lit(2)), lit(3))),
        ("a + 1 > b * 2", Binary(">", Binary("+", a, lit(1)), Binary("*", b, lit(2)))),
        ("not a == b", Unary("not", Binary("==", a, b))),
        ("not a and b", Binary("and", Unary("not", a), b)),
        ("not not a", Unary("not", Unary("not", a))),
        ("a or b and c", Binary("or", a, Binary("and", b, c))),
        ("a and b or c", Binary("or", Binary("and", a, b), c)),
        ("(a or b) and c", Binary("and", Binary("or", a, b), c)),
        ("a or b or c", Binary("or", Binary("or", a, b), c)),
        ("x + 1 is not null", IsNull(Binary("+", x, lit(1)), negated=True)),
        ("x is null or a", Binary("or", IsNull(x), a)),
        ("x in [1, -2, 2.5, 'a', true]",
         InList(x, (lit(1), lit(-2), lit(2.5), lit("a"), lit(True)))),
        ("not x in ['a']", Unary("not", InList(x, (lit("a"),)))),
        ("a <= b and b != c", Binary("and", Binary("<=", a, b), Binary("!=", b, c))),
        ("orders.amount >= 0", Binary(">=", Name("orders.amount"), lit(0))),
        ("coalesce(a, b, 1)", Call("coalesce", (a, b, lit(1)))),
        ("round(a / b, 2)", Call("round", (Binary("/", a, b), lit(2)))),
        ("days(as_of, x)", Call("days", (Name("as_of"), x))),
        ("abs(-(a))", Call("abs", (Unary("-", a),))),
        ("(\n a\t)", a),
    ],
)
def test_precedence_and_shape(text, tree):
    assert parse(text) == tree


@pytest.mark.parametrize(
    "text, value",
    [
        ("12", 12),
        ("0.3", 0.3),
        ("1.005", 1.005),
        ("99999999999999999999", 1e20),
        ("'it''s'", "it's"),
        (r"'back\slash'", "back\\slash"),
        ("'中文 é'", "中文 é"),
        ("''", ""),
        ("true", True),
        ("false", False),
        ("null", None),
    ],
)
def test_literals(text, value):
    node = parse(text)
    assert isinstance(node, Literal)
    assert node.value == value and type(node.value) is type(value)


def test_positions_point_at_tokens():
    node = parse("a  +  f_1")
    assert (node.position, node.left.position, node.right.position) == (3, 0, 6)


REFUSALS = [
    ("", "empty expression", 0),
    ("  \n ", "empty expression", 0),
    ("a" * 2001, "expression too long (2001 characters, at most 2000)", 2000),
    ("a | b", "unexpected character '|' (use 'or')", 2),
    ("a & b", "unexpected character '&' (use 'and')", 2),
    ("a @ b", "unexpected character '@'", 2),
    ("a; b", "unexpected character ';'", 1),
    ("`a`", "unexpected character '`'", 0),
    ('"a"', "unexpected character '\"' (strings use single quotes)", 0),
    ("a = b", "unexpected character '=' (use '==' to compare)", 2),
    ("!a", "unexpected character '!' (use 'not' or '!=')", 0),
    ("a ＋ 1", "unexpected character '＋'", 2),
    ("收入 > 1", "unexpected character '收'", 0),
    ("().__class__.__mro__", "dunder names are not allowed: '__class__'", 3),
    ("__import__('os')", "dunder names are not allowed: '__import__'", 0),
    ("a__b", "dunder names are not allowed: 'a__b'", 0),
    ("x|attr('__class__')", "unexpected character '|' (use 'or')", 1),
    ("x.y.z", "attribute access is not allowed", 3),
    ("orders.amount.real", "attribute access is not allowed", 13),
    ("(a).b", "attribute access is not allowed", 3),
    ("'a'.upper()", "attribute access is not allowed", 3),
    ("x.", "expected a column name after 'x.', found the end of the expression", 2),
    ("f(1)", "unknown function 'f'; known functions: abs, coalesce, days, max, min, month, "
             "round, year", 0),
    ("eval('1')", "unknown function 'eval'; known functions: abs, coalesce, days, max, min, "
                  "month, round, year", 0),
    ("round(1)", "round() takes 2 arguments, got 1: round(x, digits)", 0),
    ("abs(1, 2)", "abs() takes 1 argument, got 2: abs(x)", 0),
    ("min(1)", "min() takes 2 or more arguments, got 1: min(x, y, ...)", 0),
    ("coalesce()", "coalesce() takes 1 or more arguments, got 0: coalesce(x, y, ...)", 0),
    ("days(a)", "days() takes 2 arguments, got 1: days(from_date, to_date)", 0),
    ("(abs)(1)", "only built-in functions can be called, by their bare name", 5),
    ("a.b(1)", "only built-in functions can be called, by their bare name", 3),
    ("abs(1)(2)", "only built-in functions can be called, by their bare name", 6),
    ("x[0]", "subscripts are not allowed", 1),
    ("[1, 2]", "a list may only follow 'in'", 0),
    ("a < b < c", "comparisons cannot be chained: put 'and' between them or use parentheses "
                  "before '<'", 6),
    ("a == b == c", "comparisons cannot be chained: put 'and' between them or use parentheses "
                    "before '=='", 7),
    ("a is null is null", "comparisons cannot be chained: put 'and' between them or use "
                          "parentheses before 'is'", 10),
    ("a in [1] == b", "comparisons cannot be chained: put 'and' between them or use "
                      "parentheses before '=='", 9),
    ("1 2", "unexpected '2' after the end of the expression", 2),
    ("a)", "unexpected ')' after the end of the expression", 1),
    ("(a", "expected ')' to close the '(' at position 1, found the end of the expression", 2),
    ("abs(a", "expected ')' to close the call of abs(), found the end of the expression", 5),
    ("'abc", "unterminated string", 0),
    ("a == 'it''s", "unterminated string", 5),
    ("1e5", "malformed number '1e5'", 0),
    ("1.", "malformed number '1.'", 0),
    ("1.2.3", "malformed number '1.2.3'", 0),
    ("12abc", "malformed number '12abc'", 0),
    (".5", "expected a value, found '.'", 0),
    ("True", "names and keywords are lower case: 'True' (did you mean 'true'?)", 0),
    ("a AND b", "names and keywords are lower case: 'AND' (did you mean 'and'?)", 2),
    ("and", "expected a value, found 'and'", 0),
    ("in + 1", "expected a value, found 'in'", 0),
    ("a +", "expected a value, found the end of the expression", 3),
    ("a == not b", "expected a value, found 'not'", 5),
    ("x in []", "an empty list never matches", 6),
    ("x in [null]", "null never matches in a list; use 'is null'", 6),
    ("x in [a]", "list items must be literal numbers, strings, true or false, found 'a'", 6),
    ("x in [-'a']", "list items must be literal numbers, strings, true or false, found ''a''",
     7),
    ("x in 1", "expected '[' after 'in', found '1'", 5),
    ("x in [1", "expected ']' to close the list, found the end of the expression", 7),
    ("x is 5", "expected 'null' after 'is', found '5'", 5),
    ("x is not 5", "expected 'null' after 'is not', found '5'", 9),
]


@pytest.mark.parametrize("text, message, position", REFUSALS)
def test_refusals(text, message, position):
    with pytest.raises(ExpressionError) as caught:
        parse(text)
    assert (caught.value.message, caught.value.position) == (message, position)
    assert caught.value.text == text


def test_error_text_names_the_position_one_based():
    with pytest.raises(ExpressionError, match=r"^subscripts are not allowed at position 2$"):
        parse("x[0]")


def test_non_text_is_refused():
    with pytest.raises(ExpressionError, match="an expression must be text, got int"):
        parse(5)


@pytest.mark.parametrize(
    "deep, shallow",
    [
        ("(" * 51 + "a" + ")" * 51, "(" * 50 + "a" + ")" * 50),
        ("-" * 51 + "a", "-" * 49 + "a"),
        ("not " * 51 + "a", "not " * 49 + "a"),
        ("abs(" * 51 + "a" + ")" * 51, "abs(" * 49 + "a" + ")" * 49),
        ("+".join(["a"] * 52), "+".join(["a"] * 50)),
        ("a or " * 51 + "a", "a or " * 49 + "a"),
    ],
)
def test_nesting_limit(deep, shallow):
    parse(shallow)
    with pytest.raises(ExpressionError) as caught:
        parse(deep)
    assert caught.value.message == "expression nested deeper than 50 levels"


def test_longest_allowed_input():
    parse("+".join(["a"] * 50).ljust(2000))


def test_names_in():
    node = parse("orders.amount > 0 and (revenue / coalesce(visits, 1) < 3 or as_of is null)")
    assert names_in(node) == {"orders.amount", "revenue", "visits", "as_of"}
    assert names_in(parse("1 + 2")) == frozenset()


def test_nodes_are_frozen_and_hashable():
    node = parse("a + 1")
    with pytest.raises(AttributeError):
        node.op = "-"
    assert hash(node) == hash(parse("a+1"))


def test_package_never_evaluates_python():
    """The language is parsed, never handed to eval/exec/compile."""
    package = Path(__file__).resolve().parents[1] / "engine" / "expr"
    forbidden = {"eval", "exec", "compile", "__import__"}
    for source in package.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in forbidden, f"{source.name} calls {node.func.id}"
