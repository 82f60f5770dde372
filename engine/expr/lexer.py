"""Split expression text into tokens; refuses any character outside the language.

Strings are single-quoted; a quote inside a string is written twice (``'it''s'``), as in SQL.
Backslashes have no special meaning.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NoReturn

from engine.errors import ExpressionError

KEYWORDS = frozenset({"and", "or", "not", "in", "is", "null", "true", "false"})

_TOKEN = re.compile(
    r"""(?P<space>[ \t\r\n]+)
      | (?P<number>[0-9]+(?:\.[0-9]+)?)
      | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<string>'(?:[^']|'')*+')
      | (?P<op>==|!=|<=|>=|[<>+\-*/])
      | (?P<punct>[()\[\],.])
    """,
    re.VERBOSE,
)
_WORD_RUN = re.compile(r"[A-Za-z0-9_.]*")
_HINTS = {
    '"': "strings use single quotes",
    "=": "use '==' to compare",
    "!": "use 'not' or '!='",
    "&": "use 'and'",
    "|": "use 'or'",
}
INT64_LIMIT = 2**63


@dataclass(frozen=True)
class Token:
    """One token: ``kind`` is number, string, name, keyword, op, punct or end."""

    kind: str
    text: str
    position: int
    value: object = None


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text``, ending with an ``end`` token."""
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            _refuse_character(text, position)
        kind = match.lastgroup
        if kind != "space":
            tokens.append(_token(kind, match.group(), position, text))
        position = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


def _token(kind: str, lexeme: str, position: int, text: str) -> Token:
    """The token for one match; numbers and words are validated here."""
    if kind == "number":
        return _number(lexeme, position, text)
    if kind == "word":
        return _word(lexeme, position)
    if kind == "string":
        return Token("string", lexeme, position, lexeme[1:-1].replace("''", "'"))
    return Token(kind, lexeme, position)


def _number(lexeme: str, position: int, text: str) -> Token:
    run = _WORD_RUN.match(text, position).group()
    if run != lexeme:
        raise ExpressionError(f"malformed number '{run}'", position)
    value: object = float(lexeme) if "." in lexeme else int(lexeme)
    if isinstance(value, int) and value >= INT64_LIMIT:
        value = float(value)
    return Token("number", lexeme, position, value)


def _word(lexeme: str, position: int) -> Token:
    if "__" in lexeme:
        raise ExpressionError(f"dunder names are not allowed: '{lexeme}'", position)
    if lexeme != lexeme.lower():
        raise ExpressionError(
            f"names and keywords are lower case: '{lexeme}' (did you mean '{lexeme.lower()}'?)",
            position,
        )
    return Token("keyword" if lexeme in KEYWORDS else "name", lexeme, position)


def _refuse_character(text: str, position: int) -> NoReturn:
    char = text[position]
    if char == "'":
        raise ExpressionError("unterminated string", position)
    hint = _HINTS.get(char)
    suffix = f" ({hint})" if hint else ""
    raise ExpressionError(f"unexpected character '{char}'{suffix}", position)
