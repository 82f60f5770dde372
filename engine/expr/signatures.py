"""The built-in functions: their names and how many arguments each takes."""
from __future__ import annotations

from dataclasses import dataclass

from engine.errors import ExpressionError


@dataclass(frozen=True)
class Signature:
    """A function's arity: ``max_args`` None means any number from ``min_args`` up."""

    name: str
    min_args: int
    max_args: int | None
    usage: str

    def check_arity(self, count: int, position: int) -> None:
        """Refuse a call with the wrong number of arguments."""
        too_many = self.max_args is not None and count > self.max_args
        if count < self.min_args or too_many:
            raise ExpressionError(
                f"{self.name}() takes {self._expected()}, got {count}: {self.usage}", position
            )

    def _expected(self) -> str:
        if self.max_args is None:
            return f"{self.min_args} or more arguments"
        noun = "argument" if self.max_args == 1 else "arguments"
        return f"{self.max_args} {noun}"


SIGNATURES = {
    s.name: s
    for s in (
        Signature("abs", 1, 1, "abs(x)"),
        Signature("coalesce", 1, None, "coalesce(x, y, ...)"),
        Signature("days", 2, 2, "days(from_date, to_date)"),
        Signature("max", 2, None, "max(x, y, ...)"),
        Signature("min", 2, None, "min(x, y, ...)"),
        Signature("month", 1, 1, "month(date)"),
        Signature("round", 2, 2, "round(x, digits)"),
        Signature("year", 1, 1, "year(date)"),
    )
}


def signature(name: str, position: int) -> Signature:
    """The signature of function ``name``; an unknown one is refused, listing the known ones."""
    try:
        return SIGNATURES[name]
    except KeyError:
        known = ", ".join(sorted(SIGNATURES))
        raise ExpressionError(
            f"unknown function '{name}'; known functions: {known}", position
        ) from None
