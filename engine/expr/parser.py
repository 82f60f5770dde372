"""A recursive-descent parser from expression text to a syntax tree, over a whitelist.

Precedence, lowest first: ``or``, ``and``, ``not``, comparisons / ``in`` / ``is [not] null``
(non-associative), ``+ -``, ``* /``, unary ``-``.
"""
from __future__ import annotations

from typing import Callable

from engine.errors import ExpressionError

from .lexer import Token, tokenize
from .limits import MAX_DEPTH, MAX_LENGTH, check_depth
from .nodes import COMPARISONS, Binary, Call, InList, IsNull, Literal, Name, Node, Unary
from .signatures import signature

_CONSTANTS = {"true": True, "false": False, "null": None}


def parse(text: str) -> Node:
    """The syntax tree of ``text``; raises ExpressionError with the offending position."""
    try:
        return _parse(text)
    except ExpressionError as error:
        error.text = text
        raise


def _parse(text: str) -> Node:
    if not isinstance(text, str):
        raise ExpressionError(f"an expression must be text, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"expression too long ({len(text)} characters, at most {MAX_LENGTH})", MAX_LENGTH
        )
    if not text.strip():
        raise ExpressionError("empty expression", 0)
    tree = _Parser(tokenize(text)).parse_all()
    check_depth(tree)
    return tree


class _Parser:
    """One pass over the tokens; each ``_parse_*`` method is one precedence level."""

    def __init__(self, tokens: list[Token]):
        self.tokens = tokens
        self.index = 0
        self.depth = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def _advance(self) -> Token:
        token = self.token
        if token.kind != "end":
            self.index += 1
        return token

    def _at(self, *texts: str) -> bool:
        return self.token.kind in ("op", "punct", "keyword") and self.token.text in texts

    def _expect(self, text: str, context: str) -> Token:
        if not self._at(text):
            raise ExpressionError(f"expected '{text}' {context}, found {_describe(self.token)}",
                                  self.token.position)
        return self._advance()

    def parse_all(self) -> Node:
        tree = self._parse_or()
        if self.token.kind != "end":
            raise ExpressionError(
                f"unexpected {_describe(self.token)} after the end of the expression",
                self.token.position,
            )
        return tree

    def _nested(self, position: int) -> None:
        """Count one level of nesting, refusing it past MAX_DEPTH (keeps recursion bounded)."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError(f"expression nested deeper than {MAX_DEPTH} levels", position)

    def _parse_or(self) -> Node:
        return self._parse_chain(("or",), self._parse_and)

    def _parse_and(self) -> Node:
        return self._parse_chain(("and",), self._parse_not)

    def _parse_chain(self, operators: tuple[str, ...], operand: Callable[[], Node]) -> Node:
        """A left-associative run of ``operand (op operand)*``."""
        tree = operand()
        while self._at(*operators):
            op = self._advance()
            tree = Binary(op.text, tree, operand(), op.position)
        return tree

    def _parse_not(self) -> Node:
        if not self._at("not"):
            return self._parse_comparison()
        op = self._advance()
        self._nested(op.position)
        operand = self._parse_not()
        self.depth -= 1
        return Unary("not", operand, op.position)

    def _parse_comparison(self) -> Node:
        left = self._parse_additive()
        tree = self._comparison_tail(left)
        if tree is not left and self._at_comparison():
            raise ExpressionError(
                f"comparisons cannot be chained: put 'and' between them or use parentheses "
                f"before '{self.token.text}'",
                self.token.position,
            )
        return tree

    def _at_comparison(self) -> bool:
        return self._at(*COMPARISONS, "in", "is")

    def _comparison_tail(self, left: Node) -> Node:
        if self._at(*COMPARISONS):
            op = self._advance()
            return Binary(op.text, left, self._parse_additive(), op.position)
        if self._at("in"):
            op = self._advance()
            return InList(left, self._parse_list(), op.position)
        if self._at("is"):
            op = self._advance()
            negated = self._at("not")
            if negated:
                self._advance()
            self._expect("null", "after 'is not'" if negated else "after 'is'")
            return IsNull(left, negated, op.position)
        return left

    def _parse_list(self) -> tuple[Literal, ...]:
        self._expect("[", "after 'in'")
        if self._at("]"):
            raise ExpressionError("an empty list never matches", self.token.position)
        items = [self._parse_list_item()]
        while self._at(","):
            self._advance()
            items.append(self._parse_list_item())
        self._expect("]", "to close the list")
        return tuple(items)

    def _parse_list_item(self) -> Literal:
        start = self.token
        sign = 1
        if self._at("-"):
            self._advance()
            sign = -1
        token = self._advance()
        if token.kind == "number":
            return Literal(sign * token.value, start.position)
        if sign == 1 and token.kind == "string":
            return Literal(token.value, token.position)
        if sign == 1 and token.kind == "keyword" and token.text in ("true", "false"):
            return Literal(_CONSTANTS[token.text], token.position)
        if token.text == "null":
            raise ExpressionError("null never matches in a list; use 'is null'", token.position)
        raise ExpressionError(
            f"list items must be literal numbers, strings, true or false, found {_describe(token)}",
            token.position,
        )

    def _parse_additive(self) -> Node:
        return self._parse_chain(("+", "-"), self._parse_multiplicative)

    def _parse_multiplicative(self) -> Node:
        return self._parse_chain(("*", "/"), self._parse_unary)

    def _parse_unary(self) -> Node:
        if not self._at("-"):
            return self._parse_postfix()
        op = self._advance()
        self._nested(op.position)
        operand = self._parse_unary()
        self.depth -= 1
        return Unary("-", operand, op.position)

    def _parse_postfix(self) -> Node:
        """A primary, refusing what would follow it in Python: calls, subscripts, attributes."""
        tree = self._parse_primary()
        if self._at("("):
            raise ExpressionError("only built-in functions can be called, by their bare name",
                                  self.token.position)
        if self._at("["):
            raise ExpressionError("subscripts are not allowed", self.token.position)
        if self._at("."):
            raise ExpressionError("attribute access is not allowed", self.token.position)
        return tree

    def _parse_primary(self) -> Node:
        token = self._advance()
        if token.kind == "number" or token.kind == "string":
            return Literal(token.value, token.position)
        if token.kind == "keyword" and token.text in _CONSTANTS:
            return Literal(_CONSTANTS[token.text], token.position)
        if token.kind == "name":
            return self._parse_name(token)
        if token.text == "(":
            return self._parse_group(token)
        if token.text == "[":
            raise ExpressionError("a list may only follow 'in'", token.position)
        raise ExpressionError(f"expected a value, found {_describe(token)}", token.position)

    def _parse_group(self, opening: Token) -> Node:
        self._nested(opening.position)
        tree = self._parse_or()
        self._expect(")", f"to close the '(' at position {opening.position + 1}")
        self.depth -= 1
        return tree

    def _parse_name(self, token: Token) -> Node:
        if self._at("("):
            return self._parse_call(token)
        if not self._at("."):
            return Name(token.text, token.position)
        self._advance()
        column = self._advance()
        if column.kind != "name":
            raise ExpressionError(f"expected a column name after '{token.text}.', "
                                  f"found {_describe(column)}", column.position)
        return Name(f"{token.text}.{column.text}", token.position)

    def _parse_call(self, name: Token) -> Call:
        known = signature(name.text, name.position)
        opening = self._advance()
        self._nested(opening.position)
        args = [] if self._at(")") else self._parse_arguments()
        self._expect(")", f"to close the call of {name.text}()")
        self.depth -= 1
        known.check_arity(len(args), name.position)
        return Call(name.text, tuple(args), name.position)

    def _parse_arguments(self) -> list[Node]:
        args = [self._parse_or()]
        while self._at(","):
            self._advance()
            args.append(self._parse_or())
        return args


def _describe(token: Token) -> str:
    return "the end of the expression" if token.kind == "end" else f"'{token.text}'"
