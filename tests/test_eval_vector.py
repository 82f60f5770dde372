"""Vectorized expressions give what ``compile_python`` gives row by row (SPEC §3.3, §3.5)."""
from __future__ import annotations

from functools import cache

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from engine.evaluation.vector_expr import compile_vector
from engine.evaluation.vectors import Vec
from engine.errors import ExpressionError
from engine.expr import BOOLEAN, DATE, NUMBER, TEXT, check, compile_python, parse
from tests.eval_support import D

ENV = {"n": NUMBER, "m": NUMBER, "s": TEXT, "t": TEXT, "d": DATE, "e": DATE, "b": BOOLEAN}
KINDS = {"n": "number", "m": "number", "s": "text", "t": "text", "d": "date", "e": "date",
         "b": "boolean"}
AS_OF = D(2026, 3, 31)

LEAVES = {
    "number": ["n", "m", "0", "2.5", "-1", "3"],
    "text": ["s", "t", "'a'", "'中'", "''"],
    "date": ["d", "e", "as_of"],
    "boolean": ["b", "true", "false"],
}
COMPOSITES = {
    "number": [("({} + {})", "number", "number"), ("({} - {})", "number", "number"),
               ("({} * {})", "number", "number"), ("({} / {})", "number", "number"),
               ("-{}", "number"), ("abs({})", "number"), ("round({}, 2)", "number"),
               ("min({}, {})", "number", "number"), ("max({}, {}, 1)", "number", "number"),
               ("coalesce({}, {})", "number", "number"), ("days({}, {})", "date", "date"),
               ("year({})", "date")],
    "text": [("month({})", "date"), ("coalesce({}, {})", "text", "text"),
             ("max({}, {})", "text", "text")],
    "date": [("coalesce({}, {})", "date", "date"), ("min({}, {})", "date", "date")],
    "boolean": [("({} < {})", "number", "number"), ("({} == {})", "number", "number"),
                ("({} != {})", "text", "text"), ("({} >= {})", "text", "text"),
                ("({} <= {})", "date", "date"), ("({} and {})", "boolean", "boolean"),
                ("({} or {})", "boolean", "boolean"), ("(not {})", "boolean"),
                ("({} is null)", "number"), ("({} is not null)", "text"),
                ("({} in ['a', '中'])", "text"), ("({} in [3, 2.5])", "number"),
                ("({} > '2024-02-29')", "date"), ("({} == true)", "boolean")],
}


@cache
def expressions(kind: str, depth: int) -> st.SearchStrategy[str]:
    leaves = st.sampled_from(LEAVES[kind])
    if depth == 0:
        return leaves

    def composite(template, *kinds):
        parts = [expressions(k, depth - 1) for k in kinds]
        return st.tuples(*parts).map(lambda found: template.format(*found))

    return st.one_of(leaves, *[composite(*c) for c in COMPOSITES[kind]])


values = {
    "number": st.one_of(st.none(), st.sampled_from([0.0, -0.0, 2.5, 3.0, 1e-10, -7.25]),
                        st.floats(-1e6, 1e6, allow_nan=False)),
    "text": st.one_of(st.none(), st.sampled_from(["a", "中", "", "Z", "é", "ab"])),
    "date": st.one_of(st.none(), st.dates(D(2020, 1, 1), D(2030, 12, 31))),
    "boolean": st.one_of(st.none(), st.booleans()),
}
rows = st.lists(st.fixed_dictionaries({name: values[kind] for name, kind in KINDS.items()}),
                min_size=1, max_size=8)


def check_agreement(text: str, rows: list[dict]) -> None:
    try:
        node = parse(text)
        check(node, ENV)
    except ExpressionError:
        assume(False)        # refused when a definition is saved: never evaluated
    vectors = {name: Vec.from_python(kind, [row[name] for row in rows])
               for name, kind in KINDS.items()}
    vectors["as_of"] = Vec.full("date", AS_OF, len(rows))
    got = compile_vector(node, ENV)(vectors, len(rows)).to_python()
    python = compile_python(node, ENV)
    expected = [python(row, as_of=AS_OF) for row in rows]
    assert got == expected, text


@settings(max_examples=300, deadline=None)
@given(text=st.sampled_from(list(LEAVES)).flatmap(lambda kind: expressions(kind, 3)),
       rows=rows)
def test_random_expressions_agree(text, rows):
    check_agreement(text, rows)


@pytest.mark.parametrize("text", [
    "n / 0", "n / m", "-n", "coalesce(n, m, 1)", "min(s, t)", "month(coalesce(d, e))",
    "not (n > 1) or b", "days(d, '2024-02-29')", "s in ['a'] and not b", "null",
    "coalesce(null, n)", "round(n / 3, 9)", "year(as_of) - 2000",
])
def test_curated_expressions_agree(text):
    check_agreement(text, [
        {"n": 1.0, "m": 0.0, "s": "a", "t": None, "d": D(2024, 2, 29), "e": None, "b": True},
        {"n": None, "m": 2.0, "s": None, "t": "中", "d": None, "e": D(2026, 1, 1), "b": None},
        {"n": -4.5, "m": -0.0, "s": "", "t": "", "d": D(2020, 1, 31), "e": D(2020, 1, 31),
         "b": False}])
