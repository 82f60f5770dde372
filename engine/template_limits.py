"""What one title render may cost: a budget of steps, time and characters, and bounded operations.

Every operation whose cost a template can choose goes through here: arithmetic and repetition
(``*``, ``**``, ``+``, ``%``), calls (methods, macros, ``range``), filters, loop iterations,
``~`` joins and output. Each is checked *before* it allocates (a width, a repeat count, an
exponent) and its result is checked after, so no single step builds more than about
``MAX_VALUE_LENGTH`` characters; steps are counted against ``MAX_STEPS`` and a deadline, so
loops, nesting and recursion end too. Outside a render (Jinja folding constants while it
compiles) the counted operations refuse to run, which keeps ``{{ 9**999999999 }}`` from being
computed by the compiler.
"""
from __future__ import annotations

import operator
import re
import time
from contextvars import ContextVar
from functools import update_wrapper
from string import Formatter
from typing import Any, Callable

from jinja2 import TemplateRuntimeError

MAX_STEPS = 5_000
MAX_VALUE_LENGTH = 5_000       # characters of a text, items of a list, made by one step
MAX_PRODUCED = 20_000          # characters output by ``{{ }}`` in one render, captured or not
MAX_INT_BITS = 256
MAX_CALL_DEPTH = 8
MAX_RANGE = 1_000
RUN_SECONDS = 0.25             # a render during an evaluation
CHECK_SECONDS = 1.0            # the test render when a definition is saved


class TemplateLimitError(TemplateRuntimeError):
    """A title render went past one of the limits above."""


class RenderBudget:
    """What is left to one render; the sandbox's operations draw on it."""

    __slots__ = ("seconds", "steps", "produced", "depth", "deadline")

    def __init__(self, seconds: float):
        self.seconds, self.steps, self.produced, self.depth = seconds, MAX_STEPS, 0, 0
        self.deadline = time.perf_counter() + seconds

    def step(self) -> None:
        self.steps -= 1
        if self.steps < 0:
            raise TemplateLimitError(f"more than {MAX_STEPS} steps (loop iterations, calls, "
                                     "filters, arithmetic)")
        if time.perf_counter() > self.deadline:
            raise TemplateLimitError(f"took longer than {self.seconds:g} s")


_CURRENT: ContextVar[RenderBudget | None] = ContextVar("title_render_budget", default=None)


def current() -> RenderBudget:
    """The budget of the render under way; outside one, nothing may be computed."""
    budget = _CURRENT.get()
    if budget is None:
        raise TemplateLimitError("computed outside a bounded render")
    return budget


def step() -> RenderBudget:
    budget = current()
    budget.step()
    return budget


def start_render(seconds: float):
    """Make a fresh budget current for one render; returns the token for :func:`end_render`."""
    return _CURRENT.set(RenderBudget(seconds))


def end_render(token) -> None:
    _CURRENT.reset(token)


def too_long(what: str, size: int) -> TemplateLimitError:
    return TemplateLimitError(f"{what} would be {size} long, more than {MAX_VALUE_LENGTH}")


def checked(value: Any) -> Any:
    """``value`` if it is small enough to keep working with."""
    if isinstance(value, (str, list, tuple, dict, set)) and len(value) > MAX_VALUE_LENGTH:
        raise too_long("a value", len(value))
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise TemplateLimitError(f"a number larger than {MAX_INT_BITS} bits")
    return value


def check_arguments(args: tuple, kwargs: dict) -> None:
    for value in (*args, *kwargs.values()):
        checked(value)


def _is_sequence(value: Any) -> bool:
    return isinstance(value, (str, list, tuple))


def _multiply(left: Any, right: Any) -> Any:
    for seq, count in ((left, right), (right, left)):
        if _is_sequence(seq) and isinstance(count, int):
            if len(seq) * count > MAX_VALUE_LENGTH:
                raise too_long("a repetition", len(seq) * count)
    if isinstance(left, int) and isinstance(right, int):
        if left.bit_length() + right.bit_length() > MAX_INT_BITS + 1:
            raise TemplateLimitError(f"a number larger than {MAX_INT_BITS} bits")
    return left * right


def _power(base: Any, exponent: Any) -> Any:
    if (isinstance(base, int) and isinstance(exponent, int) and abs(base) > 1
            and exponent > 0 and (abs(base).bit_length() - 1) * exponent > MAX_INT_BITS):
        raise TemplateLimitError(f"a number larger than {MAX_INT_BITS} bits")
    if isinstance(exponent, int) and exponent.bit_length() > MAX_INT_BITS:
        raise TemplateLimitError(f"a number larger than {MAX_INT_BITS} bits")
    return base ** exponent


def _remainder(left: Any, right: Any) -> Any:
    if isinstance(left, str):
        check_percent_format(left)
    return left % right


BINOPS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": _multiply, "/": operator.truediv,
    "//": operator.floordiv, "%": _remainder, "**": _power}


_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


def check_percent_format(text: str) -> None:
    """Refuse ``%``-format widths and precisions that are ``*`` or too large."""
    for match in _PERCENT_SPEC.finditer(text):
        for number in match.groups():
            if number == "*" or (number and int(number) > MAX_VALUE_LENGTH):
                raise TemplateLimitError(f"format width {number!r} is not allowed "
                                         f"(at most {MAX_VALUE_LENGTH}, no '*')")


def check_brace_format(text: str) -> None:
    """Refuse ``str.format`` specs with nested fields or widths that are too large."""
    try:
        fields = list(Formatter().parse(text))
    except ValueError:
        return  # str.format will raise the same error itself
    for _, _, spec, _ in fields:
        if not spec:
            continue
        if "{" in spec or any(int(n) > MAX_VALUE_LENGTH for n in re.findall(r"\d+", spec)):
            raise TemplateLimitError(f"format spec {spec[:20]!r} is not allowed "
                                     f"(widths at most {MAX_VALUE_LENGTH}, no nested fields)")


def bounded_range(*args: int) -> range:
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise TemplateLimitError(f"range of {len(numbers)} numbers, more than {MAX_RANGE}")
    return numbers


def bounded_loop(iterable: Any):
    """What a ``{% for %}`` iterates: each item is a step."""
    if hasattr(iterable, "__len__") and len(iterable) > MAX_VALUE_LENGTH:
        raise too_long("a loop", len(iterable))
    for item in iterable:
        step()
        yield item


def bounded_join(parts: tuple) -> str:
    """``a ~ b``: joined, then checked."""
    return checked("".join(str(p) for p in parts))


def counted_output(value: Any) -> Any:
    """Every ``{{ }}`` value as it is written: counted against MAX_PRODUCED."""
    budget = _CURRENT.get()
    if budget is None:
        return value  # compile time: a constant, as long as the template at most
    text = value if isinstance(value, str) else str(value)
    budget.produced += len(text)
    check_produced(budget.produced)
    return text


def check_produced(produced: int) -> None:
    """Refuse a render that has written more than MAX_PRODUCED characters."""
    if produced > MAX_PRODUCED:
        raise TemplateLimitError(f"wrote more than {MAX_PRODUCED} characters")


def counted(function: Callable) -> Callable:
    """A filter that costs a step and whose result is checked."""
    def wrapper(*args, **kwargs):
        step()
        return checked(function(*args, **kwargs))
    return update_wrapper(wrapper, function)


def prechecked(function: Callable, check: Callable[..., None], context_args: int = 0):
    """A counted filter whose arguments ``check`` looks at first (without the
    ``context_args`` leading context arguments Jinja passes to some filters)."""
    def wrapper(*args, **kwargs):
        step()
        check(*args[context_args:], **kwargs)
        return checked(function(*args, **kwargs))
    return update_wrapper(wrapper, function)


def check_width(value: Any = "", width: int = 80, *_, **__) -> None:
    if isinstance(width, int) and width > MAX_VALUE_LENGTH:
        raise too_long("a padded text", width)


def check_join(value: Any = (), d: str = "", *_, **__) -> None:
    items = value if isinstance(value, (list, tuple, str)) else ()
    size = len(items) * (len(d) + 1) + sum(len(str(i)) for i in items[:MAX_VALUE_LENGTH + 1])
    if size > MAX_VALUE_LENGTH:
        raise too_long("a joined text", size)


def check_replace(s: Any = "", old: str = "", new: str = "", count: int | None = None,
                  *_, **__) -> None:
    text = str(s)
    found = (len(text) + 1) if not old else text.count(str(old))
    if count is not None and count >= 0:
        found = min(found, count)
    size = len(text) + found * len(str(new))
    if size > MAX_VALUE_LENGTH:
        raise too_long("a replaced text", size)


def check_percent_filter(value: Any = "", *_, **__) -> None:
    check_percent_format(str(value))
