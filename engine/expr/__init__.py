"""The expression language of definitions: parsed over a whitelist, type-checked, compiled.

``parse`` builds a syntax tree (never ``eval``), ``check`` types it against the names a
definition may use, ``compile_sql`` / ``compile_python`` turn it into a SQLAlchemy expression
or a Python callable that give the same results on the same values.

The language: numbers (``12``, ``0.3``; no exponents), ``'text'`` (a quote inside is written
twice: ``'it''s'``), ``true``/``false``/``null``, names (``revenue``, ``orders.amount``,
``as_of``), ``+ - * /``, ``== != < <= > >=``, ``and or not``, ``x in [literal, ...]``,
``x is [not] null``, parentheses and the functions abs, coalesce, days, max, min, month, round
and year. Numbers compute as doubles; decimals (scaled integers) stay exact under ``+ -``,
unary minus, abs, min, max and coalesce. Division by zero and null operands give null; a
comparison with null is false; ``and``/``or``/``not`` count null as false.
"""
from .checker import check
from .nodes import names_in
from .parser import parse
from .python import compile_python
from .rounding import round_half_away, round_half_away_sql
from .sql import compile_sql, sql_type
from .types import BOOLEAN, DATE, NULL, NUMBER, TEXT, ExprType, decimal

__all__ = [
    "BOOLEAN", "DATE", "NULL", "NUMBER", "TEXT", "ExprType", "check", "compile_python",
    "compile_sql", "decimal", "names_in", "parse", "round_half_away", "round_half_away_sql",
    "sql_type",
]
