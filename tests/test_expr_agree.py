"""The SQL and the Python compilation of an expression agree, on SQLite and PostgreSQL.

Set KAMFLOW_TEST_DATABASE_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test) to run
every database test on PostgreSQL too.
"""
from __future__ import annotations

import datetime as dt
import os
import uuid
from functools import cache

import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from sqlalchemy import BigInteger, Boolean, Column, Date, Float, Integer, MetaData, Table, Text
from sqlalchemy import bindparam, delete, insert, literal, select

from engine.db import make_engine
from engine.errors import ExpressionError
from engine.expr import BOOLEAN, DATE, NUMBER, TEXT, check, compile_python, compile_sql
from engine.expr import decimal, parse, round_half_away, round_half_away_sql

AS_OF = dt.date(2024, 3, 31)
ENV = {
    "n": NUMBER, "i": NUMBER, "s": TEXT, "t": TEXT, "due": DATE, "flag": BOOLEAN,
    "orders.amount": decimal(2), "orders.cost": decimal(2), "orders.quantity": decimal(3),
    "orders.date": DATE,
}
COLUMN_OF = {"orders.amount": "amount", "orders.cost": "cost", "orders.quantity": "quantity",
             "orders.date": "day"}


def _columns() -> list[Column]:
    return [
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("n", Float), Column("i", BigInteger), Column("amount", BigInteger),
        Column("cost", BigInteger), Column("quantity", BigInteger), Column("day", Date),
        Column("due", Date), Column("s", Text), Column("t", Text), Column("flag", Boolean),
    ]


def _row(id, n=None, i=None, amount=None, cost=None, quantity=None, day=None, due=None,
         s=None, t=None, flag=None):
    return dict(id=id, n=n, i=i, amount=amount, cost=cost, quantity=quantity, day=day, due=due,
                s=s, t=t, flag=flag)


D = dt.date
CURATED_ROWS = [
    _row(1, 2.5, 3, 10, 20, 1500, D(2024, 2, 29), D(2024, 3, 31), "Z", "a", True),
    _row(2, -2.5, -4, -12345, 0, -1, D(2023, 12, 31), D(2024, 1, 1), "é", "中", False),
    _row(3),
    _row(4, 0.125, 0, 0, None, 0, D(2024, 1, 31), D(2024, 2, 29), "中文", "", None),
    _row(5, 1.005, 2**53 + 1, 99_999_999_999, 1, 123456, D(2000, 2, 29), D(1999, 12, 31),
         "abc", "abd", True),
    _row(6, 123456789.123456789, -1, -1, -1, 500, D(2024, 12, 31), D(2025, 1, 1), "Z", "Z",
         False),
    _row(7, -0.0, 2, 5, -5, -500, D(2024, 3, 1), D(2024, 2, 28), "a", "é", None),
    _row(8, 5e-10, 1_000_000, 30, 70, 2500, None, D(2023, 2, 28), None, "Zz", True),
    _row(9, 1e15 + 0.5, 7, 1, 2, 5, D(2024, 2, 28), None, "中", "a", None),
    _row(10, -1234.5678, None, None, 99, None, D(2024, 4, 30), D(2024, 3, 31), "", None, False),
]


class Database:
    """One engine and two scratch tables: fixed rows, and rows replaced per property run."""

    def __init__(self, engine):
        self.engine = engine
        self.metadata = MetaData()
        suffix = uuid.uuid4().hex[:10]
        self.curated = Table(f"expr_curated_{suffix}", self.metadata, *_columns())
        self.scratch = Table(f"expr_scratch_{suffix}", self.metadata, *_columns())
        self.metadata.create_all(engine)
        with engine.begin() as connection:
            connection.execute(insert(self.curated), CURATED_ROWS)

    def columns(self, table):
        return {name: table.c[COLUMN_OF.get(name, name)] for name in ENV}

    def evaluate(self, table, texts, rows=None):
        """Each expression's SQL result per row (rows replace the table's content if given)."""
        compiled = [compile_sql(parse(text), ENV, self.columns(table)) for text in texts]
        query = select(table.c.id, *compiled).order_by(table.c.id)
        with self.engine.begin() as connection:
            if rows is not None:
                connection.execute(delete(table))
                if rows:
                    connection.execute(insert(table), rows)
            result = connection.execute(query, {"as_of": AS_OF}).all()
        return [list(row[1:]) for row in result]

    def drop(self):
        self.metadata.drop_all(self.engine)
        self.engine.dispose()


def _database_urls():
    urls = ["sqlite"]
    if os.environ.get("KAMFLOW_TEST_DATABASE_URL"):
        urls.append("postgresql")
    return urls


@pytest.fixture(scope="module", params=_database_urls())
def database(request, tmp_path_factory):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('expr') / 'expr.db'}"
    else:
        url = os.environ["KAMFLOW_TEST_DATABASE_URL"]
    db = Database(make_engine(url))
    yield db
    db.drop()


def python_values(text, rows):
    evaluate = compile_python(parse(text), ENV)
    return [evaluate({name: row[COLUMN_OF.get(name, name)] for name in ENV}, as_of=AS_OF)
            for row in rows]


def normalized(value, typ):
    """SQLite may hand booleans back as 0/1 and numbers as int or float: compare by type."""
    if value is None:
        return None
    if typ == BOOLEAN:
        return bool(value)
    if typ == NUMBER:
        return float(value)
    return value


def assert_agree(db, table, texts, rows):
    sql_rows = db.evaluate(table, texts, None if table is db.curated else rows)
    for position, text in enumerate(texts):
        typ = check(parse(text), ENV)
        from_sql = [normalized(row[position], typ) for row in sql_rows]
        from_python = [normalized(value, typ) for value in python_values(text, rows)]
        assert from_sql == from_python, text


CURATED_EXPRESSIONS = [
    # numbers: doubles, real division, null and zero divisors
    "n + i", "n - i", "n * i", "n / i", "i / 0", "n / (i - i)", "-n", "-i", "abs(n)",
    "abs(i)", "i / 2", "7 / 2", "1 / 3", "i * i", "n * 0.1", "0.1 + 0.2", "i + 1",
    # decimals: exact while added, doubles once multiplied or mixed
    "orders.amount + orders.cost", "orders.amount - orders.cost",
    "orders.amount + orders.quantity", "orders.quantity - orders.amount", "-orders.amount",
    "abs(orders.amount)", "min(orders.amount, orders.cost)",
    "max(orders.amount, orders.quantity)", "coalesce(orders.cost, orders.amount)",
    "orders.amount * 2", "orders.amount / orders.cost", "orders.amount + 0.3",
    "orders.amount + orders.cost == 0.3", "orders.amount > orders.cost",
    "orders.amount == orders.quantity", "orders.amount * 1 == orders.quantity * 1",
    "orders.amount in [0.1, -123.45, 0]", "orders.quantity / 1000 > orders.amount",
    # comparisons are false, never null, when a side is null
    "n < i", "n >= i", "n == 2.5", "n != 2.5", "i in [3, -4, 0]", "n in [2.5, 0.125, 0]",
    # text orders by code point: 'Z' < 'a' < 'é' < '中'
    "s < t", "s <= t", "s > t", "s >= t", "s == t", "s != t", "min(s, t)", "max(s, t)",
    "min(s, t, 'b')", "s in ['Z', '中文', '']", "s < 'a'", "s > 'é'", "t < '中'",
    "'Z' < 'a' and 'a' < 'é' and 'é' < '中'", "coalesce(s, t, 'none')",
    # dates, month ends and leap days
    "month(orders.date)", "month(orders.date) == '2024-02'", "orders.date < due",
    "orders.date == '2024-02-29'", "orders.date in ['2024-02-29', '2023-12-31']",
    "days(orders.date, due)", "days(due, orders.date)", "days(orders.date, as_of)",
    "year(orders.date)", "year(due) - year(orders.date)", "min(orders.date, due)",
    "max(orders.date, due, as_of)", "coalesce(orders.date, '1999-01-01')",
    "orders.date > as_of", "month(as_of)", "days('2024-02-28', orders.date)",
    "min(due, '2024-02-29')",
    # two-valued logic
    "flag", "not flag", "flag and n > 0", "flag or n > 0", "not (n > 0)", "n > 0 or n <= 0",
    "flag == true", "flag != false", "flag is null", "flag is not null",
    "coalesce(flag, false)", "n is null and i is not null", "not flag and not (s < t)",
    "null or flag", "null and true", "not null", "(n > i) == flag", "flag in [true]",
    # rounding half away from zero
    "round(n, 0)", "round(n, 2)", "round(-n, 2)", "round(n * 100, 1)",
    "round(orders.amount, 1)", "round(orders.quantity, 0)", "round(1.005, 2)",
    "round(2.5, 0)", "round(-2.5, 0)", "round(0.125, 2)", "round(-0.125, 2)",
    "round(n / 3, 9)", "round(i, 0)", "round(n, 15)",
    # coalesce, min and max
    "coalesce(n, i, 0)", "coalesce(n)", "coalesce(null, n)", "min(n, i)", "max(n, i, 0)",
    "min(n, null)", "max(null, orders.amount)",
    # bare values
    "1", "2.5", "'x'", "null", "true", "as_of", "n", "i", "orders.amount", "s", "due",
]


@pytest.mark.parametrize("text", CURATED_EXPRESSIONS)
def test_curated_expressions_agree(database, text):
    assert_agree(database, database.curated, [text], CURATED_ROWS)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("orders.amount + orders.cost", [30, -12345, None]),
        ("0.1 + 0.2 == 0.3", [False] * 3),
        ("orders.amount + orders.cost == 0.3", [True, False, False]),
        ("n / i", [2.5 / 3, 2.5 / 4, None]),
        ("round(n, 0)", [3.0, -3.0, None]),
        ("s < t", [True, True, False]),
        ("days(orders.date, due)", [31, 1, None]),
        ("month(orders.date)", ["2024-02", "2023-12", None]),
        ("year(orders.date)", [2024, 2023, None]),
        ("min(s, t)", ["Z", "é", None]),
    ],
)
def test_known_values(database, text, expected):
    rows = CURATED_ROWS[:3]
    typ = check(parse(text), ENV)
    assert [normalized(v, typ) for v in python_values(text, rows)] == [
        normalized(v, typ) for v in expected]
    assert_agree(database, database.curated, [text], CURATED_ROWS)


@pytest.mark.parametrize(
    "text",
    ["flag", "n > 0 and flag", "s < t", "not flag", "orders.date in ['2024-02-29']",
     "orders.amount + orders.cost == 0.3 or flag is null"],
)
def test_conditions_filter_rows_alike(database, text):
    condition = compile_sql(parse(text), ENV, database.columns(database.curated))
    query = select(database.curated.c.id).where(condition).order_by(database.curated.c.id)
    with database.engine.connect() as connection:
        ids = connection.execute(query, {"as_of": AS_OF}).scalars().all()
    assert ids == [row["id"] for row, keep in zip(CURATED_ROWS, python_values(text, CURATED_ROWS))
                   if keep]


def test_as_of_defaults_to_a_bind_parameter_and_columns_may_be_a_function(database):
    table = database.curated
    expression = compile_sql(parse("days(orders.date, as_of)"), ENV,
                             lambda name: table.c[COLUMN_OF.get(name, name)])
    with database.engine.connect() as connection:
        days = connection.execute(
            select(expression).where(table.c.id == 1), {"as_of": D(2024, 3, 1)}).scalar()
    assert days == 1
    as_of = bindparam("run_date", type_=Date)
    expression = compile_sql(parse("as_of"), ENV, {"as_of": as_of})
    with database.engine.connect() as connection:
        assert connection.execute(select(expression), {"run_date": AS_OF}).scalar() == AS_OF


def test_python_reads_as_of_from_the_values_or_the_argument():
    evaluate = compile_python(parse("days(as_of, '2024-03-01')"), {})
    assert evaluate({"as_of": D(2024, 2, 28)}) == 2
    assert evaluate({"as_of": D(2024, 2, 28)}, as_of=D(2024, 3, 2)) == -1
    with pytest.raises(KeyError):
        evaluate({})


NESTINGS = {
    "abs": lambda k: "abs(" * k + "n" + ")" * k,
    "minus": lambda k: "-(" * k + "n" + ")" * k,
    "plus_right": lambda k: "n + (" * k + "i" + ")" * k,
    "minus_right": lambda k: "n - (" * k + "i" + ")" * k,
    "times_right": lambda k: "n * (" * k + "i" + ")" * k,
    "divide_right": lambda k: "n / (" * k + "i" + ")" * k,
    "divide_left": lambda k: "(" * k + "n" + " / 3)" * k,
    "decimal_plus_right": lambda k: "orders.amount + (" * k + "orders.cost" + ")" * k,
    "sum_chain": lambda k: " + ".join(["n", "i"] * k),
    "round": lambda k: "round(" * k + "n" + ", 2)" * k,
    "min": lambda k: "min(n, " * k + "i" + ")" * k,
    "max_text": lambda k: "max(s, " * k + "t" + ")" * k,
    "coalesce": lambda k: "coalesce(n, " * k + "i" + ")" * k,
    "month": lambda k: "min(month(orders.date), " * k + "s" + ")" * k,
    "year_days": lambda k: "year(due) + (days(orders.date, due) * (" * k + "n" + "))" * k,
    "comparison": lambda k: "(n < 1) == (" * k + "flag" + ")" * k,
    "and_or": lambda k: "(n < i) and (flag or (" * k + "flag" + "))" * k,
    "not": lambda k: "not (s < t and " * k + "flag" + ")" * k,
    "in": lambda k: "(" * k + "flag" + ") in [true]" * k,
    "is_null": lambda k: "(" * k + "n is null" + ") is null" * k,
}


def deepest_accepted(nesting) -> int:
    depth = 1
    while depth < 60:
        try:
            check(parse(nesting(depth + 1)), ENV)
        except ExpressionError:
            return depth
        depth += 1
    return depth


@pytest.mark.parametrize("construct", NESTINGS)
def test_deepest_accepted_nesting_runs(database, construct):
    """Whatever check() accepts, SQLite's parser stack and Python's recursion can take."""
    depth = deepest_accepted(NESTINGS[construct])
    assert depth >= 2
    assert_agree(database, database.curated, [NESTINGS[construct](depth)], CURATED_ROWS)


def test_deeply_nested_sql_is_refused():
    with pytest.raises(ExpressionError) as caught:
        check(parse("abs(" * 30 + "n" + ")" * 30), ENV)
    assert caught.value.message == (
        "expression too deeply nested for SQL: use fewer nested function calls, divisions or "
        "parentheses")
    assert caught.value.position == 0


HALFWAY = [(2.5, 0), (-2.5, 0), (0.5, 0), (-0.5, 0), (0.125, 2), (-0.125, 2), (1.005, 2),
           (2.675, 2), (0.49999999999999994, 0), (4503599627370495.5, 0), (1e20, 9),
           (9.3e18, 0), (123456789.123456789, 9), (5e-10, 9), (-5e-10, 9), (1e-12, 9),
           (-0.0, 3), (2**53 + 1, 0), (0.3, 1), (1.45, 1)]


def test_round_half_away_known_values():
    assert [round_half_away(x, n) for x, n in HALFWAY[:8]] == [
        3.0, -3.0, 1.0, -1.0, 0.13, -0.13, 1.0, 2.68]
    assert round_half_away(None, 2) is None
    assert round_half_away(0.49999999999999994, 0) == 0.0
    with pytest.raises(ValueError):
        round_half_away(1.0, -1)


def test_round_half_away_sql_twin(database):
    selected = [round_half_away_sql(literal(x, Float), n) for x, n in HALFWAY]
    with database.engine.connect() as connection:
        from_sql = list(connection.execute(select(*selected)).one())
    assert from_sql == [round_half_away(x, n) for x, n in HALFWAY]


def test_sql_spelling_per_dialect(database):
    expression = compile_sql(parse("round(n, 2) > 0 and s < t"), ENV,
                             database.columns(database.curated))
    sql = str(expression.compile(dialect=database.engine.dialect))
    if database.engine.dialect.name == "postgresql":
        assert "floor(" in sql and 'COLLATE "C"' in sql
    else:
        # SQLAlchemy's pysqlite replaces floor() with a Python function: never rely on it.
        assert "floor(" not in sql and "COLLATE" not in sql


# --- properties: random rows, random expressions -------------------------------------------

MONTH_ENDS = [D(2024, 2, 29), D(2023, 2, 28), D(2024, 1, 31), D(2023, 12, 31), D(2024, 4, 30),
              D(2000, 2, 29), D(2024, 3, 1)]
numbers = st.one_of(
    st.none(),
    st.sampled_from([0.0, 0.5, -0.5, 2.5, -2.5, 0.125, 1.005, 1e15 + 0.5]),
    st.integers(-10**9, 10**9).map(lambda k: k / 1000),
    st.floats(-1e6, 1e6, allow_nan=False, allow_subnormal=False).filter(
        lambda x: x == 0 or abs(x) >= 1e-6),
)
integers = st.one_of(st.none(), st.integers(-10**6, 10**6), st.sampled_from([0, 2**53 + 1]))
cents = st.one_of(st.none(), st.integers(-10**11, 10**11), st.integers(-100, 100))
dates = st.one_of(st.none(), st.sampled_from(MONTH_ENDS),
                  st.dates(D(1990, 1, 1), D(2030, 12, 31)))
texts = st.one_of(
    st.none(), st.sampled_from(["Z", "a", "é", "中", "", "abc", "中文"]),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
            max_size=5),
)
rows = st.lists(
    st.builds(_row, id=st.just(0), n=numbers, i=integers, amount=cents, cost=cents,
              quantity=cents, day=dates, due=dates, s=texts, t=texts,
              flag=st.one_of(st.none(), st.booleans())),
    min_size=1, max_size=4,
).map(lambda found: [{**row, "id": index} for index, row in enumerate(found)])

PROPERTY_EXPRESSIONS = [
    "n / i", "n * i - n", "round(n, 2)", "round(n / 7, 9)", "orders.amount + orders.cost",
    "orders.quantity - orders.amount", "max(orders.amount, orders.cost, orders.quantity)",
    "orders.amount > n", "s < t", "max(s, t)", "s in ['Z', 'a', 'é', '中']",
    "days(orders.date, due)", "month(orders.date) < month(due)", "min(orders.date, due)",
    "flag or n > i", "not flag and s is not null", "coalesce(n, i, orders.amount)",
    "abs(n - i)", "year(due) * 12 + i",
]
PROPERTY_SETTINGS = settings(max_examples=int(os.environ.get("EXPR_EXAMPLES", 40)), deadline=None,
                             suppress_health_check=[HealthCheck.function_scoped_fixture])


@PROPERTY_SETTINGS
@given(rows=rows)
def test_random_rows_agree(database, rows):
    assert_agree(database, database.scratch, PROPERTY_EXPRESSIONS, rows)


@cache
def expressions(kind: str, depth: int) -> st.SearchStrategy[str]:
    """Random well-typed expression texts of ``kind``: numeric, text, date or boolean."""
    leaves = {
        "numeric": st.sampled_from(["n", "i", "orders.amount", "orders.cost",
                                    "orders.quantity", "0", "1", "2.5", "0.1", "1000"]),
        "text": st.sampled_from(["s", "t", "'Z'", "'a'", "'é'", "'中'", "''", "'it''s'"]),
        "date": st.sampled_from(["orders.date", "due", "as_of"]),
        "boolean": st.sampled_from(["flag", "true", "false"]),
    }[kind]
    if depth == 0:
        return leaves
    return st.one_of(leaves, *_COMPOSITES[kind](lambda k: expressions(k, depth - 1)))


def _form(template: str, *parts) -> st.SearchStrategy[str]:
    return st.tuples(*parts).map(lambda found: template.format(*found))


def _numeric(sub):
    num, day = sub("numeric"), sub("date")
    return [
        _form("({} {} {})", num, st.sampled_from("+-*/"), num), _form("-({})", num),
        _form("abs({})", num), _form("round({}, {})", num, st.integers(0, 9)),
        _form("min({}, {})", num, num), _form("max({}, {}, {})", num, num, num),
        _form("coalesce({}, {})", num, num), _form("year({})", day),
        _form("days({}, {})", day, day),
    ]


def _text(sub):
    text, day = sub("text"), sub("date")
    return [_form("month({})", day), _form("coalesce({}, {})", text, text),
            _form("min({}, {})", text, text), _form("max({}, {})", text, text)]


def _date(sub):
    day = sub("date")
    return [_form("coalesce({}, {})", day, day), _form("coalesce({}, '2024-02-29')", day),
            _form("min({}, {})", day, day), _form("max({}, {})", day, day)]


def _boolean(sub):
    comparison = st.sampled_from(["==", "!=", "<", "<=", ">", ">="])
    boolean, any_kind = sub("boolean"), st.one_of(*[sub(k) for k in ("numeric", "text", "date")])
    return [
        *[_form("({} {} {})", sub(k), comparison, sub(k)) for k in ("numeric", "text", "date")],
        _form("({} {} '2024-02-29')", sub("date"), comparison),
        _form("({} in [1, 2.5, -3, 0])", sub("numeric")),
        _form("({} in ['Z', 'é', ''])", sub("text")),
        _form("({} in ['2024-02-29', '2023-12-31'])", sub("date")),
        _form("({} is null)", any_kind), _form("({} is not null)", any_kind),
        _form("({} and {})", boolean, boolean), _form("({} or {})", boolean, boolean),
        _form("(not {})", boolean), _form("({} == {})", boolean, boolean),
    ]


_COMPOSITES = {"numeric": _numeric, "text": _text, "date": _date, "boolean": _boolean}
random_expressions = st.sampled_from(list(_COMPOSITES)).flatmap(lambda k: expressions(k, 3))


@PROPERTY_SETTINGS
@given(text=random_expressions, rows=rows)
def test_random_expressions_agree(database, text, rows):
    try:
        check(parse(text), ENV)
    except ExpressionError as refused:  # only nesting the SQL could not take is refused
        assert refused.message.startswith("expression too deeply nested for SQL")
        reject()
    assert_agree(database, database.scratch, [text], rows)
