"""Task title templates: one bounded, sandboxed Jinja environment, and checks run when saved.

The sandbox keeps templates away from Python internals; :mod:`engine.template_limits` keeps
them from taking unbounded time or memory (SPEC §7). Only a few filters and string methods
are available, none of them able to build a large text from a small template.
"""
from __future__ import annotations

import inspect
from functools import lru_cache
from typing import Any, Mapping

from jinja2 import StrictUndefined, Template, TemplateError, TemplateSyntaxError, meta, nodes
from jinja2.compiler import CodeGenerator
from jinja2.filters import FILTERS
from jinja2.runtime import new_context
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from engine import template_limits as limits

TEMPLATE_VARIABLES = ("customer", "segment", "previous_segment", "scores")
MAX_TEMPLATE_LENGTH = 1000
MAX_TITLE_LENGTH = 300
ELLIPSIS = "…"

PLAIN_FILTERS = ("abs", "capitalize", "count", "d", "default", "first", "float", "int", "last",
                 "length", "list", "lower", "max", "min", "reverse", "round", "sort", "string",
                 "sum", "title", "trim", "truncate", "unique", "upper", "wordcount")
SAFE_METHODS = {
    str: {"capitalize", "casefold", "count", "endswith", "find", "isalnum", "isalpha",
          "isdigit", "islower", "isnumeric", "isspace", "istitle", "isupper", "lower", "lstrip",
          "partition", "removeprefix", "removesuffix", "rfind", "rpartition", "rsplit",
          "rstrip", "split", "startswith", "strip", "swapcase", "title", "upper",
          "center", "ljust", "rjust", "zfill", "replace", "join"},
    dict: {"get", "items", "keys", "values"},
    list: {"count", "index"},
    tuple: {"count", "index"},
}
# Checks made before a method runs, on its arguments (the receiver first).
_METHOD_CHECKS = {"center": limits.check_width, "ljust": limits.check_width,
                  "rjust": limits.check_width, "zfill": limits.check_width,
                  "replace": limits.check_replace}


def _bounded_filters() -> dict:
    filters = {name: limits.counted(FILTERS[name]) for name in PLAIN_FILTERS}
    filters["center"] = limits.prechecked(FILTERS["center"], limits.check_width)
    filters["format"] = limits.prechecked(FILTERS["format"], limits.check_percent_filter)
    filters["join"] = limits.prechecked(FILTERS["join"], limits.check_join, context_args=1)
    filters["replace"] = limits.prechecked(FILTERS["replace"], limits.check_replace,
                                           context_args=1)
    return filters


class _BoundedCodeGenerator(CodeGenerator):
    """Jinja's code generator, with every loop and every ``~`` join going through the limits."""

    def visit_For(self, node: nodes.For, frame) -> None:
        node.iter = nodes.Call(nodes.EnvironmentAttribute("bounded_loop"), [node.iter], [],
                               None, None, lineno=node.lineno)
        super().visit_For(node, frame)

    def visit_Concat(self, node: nodes.Concat, frame) -> None:
        self.write("environment.bounded_join((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class TitleSandbox(SandboxedEnvironment):
    """A sandbox whose arithmetic, calls, filters, loops and output are bounded."""

    code_generator_class = _BoundedCodeGenerator
    intercepted_binops = frozenset(limits.BINOPS)
    bounded_loop = staticmethod(limits.bounded_loop)
    bounded_join = staticmethod(limits.bounded_join)

    def __init__(self) -> None:
        # optimized=False: no constant folding at compile time (``{{ 9**999999999 }}``).
        super().__init__(undefined=StrictUndefined, autoescape=False, optimized=False,
                         finalize=limits.counted_output)
        self.filters = _bounded_filters()
        self.globals = {"range": limits.bounded_range}

    def call_binop(self, context, operator: str, left: Any, right: Any) -> Any:
        limits.step()
        return limits.checked(limits.BINOPS[operator](left, right))

    def is_safe_callable(self, obj: Any) -> bool:
        owner = getattr(obj, "__self__", None)
        if inspect.isbuiltin(obj) and type(owner) in SAFE_METHODS:
            return obj.__name__ in SAFE_METHODS[type(owner)]
        return super().is_safe_callable(obj)

    def wrap_str_format(self, value: Any):
        formatter = super().wrap_str_format(value)
        if formatter is None:
            return None
        limits.check_brace_format(value.__self__)
        return formatter

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 - Jinja's signature
        budget = limits.step()
        if not __self.is_safe_callable(__obj):
            name = getattr(__obj, "__name__", type(__obj).__name__)
            raise SecurityError(f"{name!r} may not be called in a title")
        limits.check_arguments(args, kwargs)
        check = _METHOD_CHECKS.get(getattr(__obj, "__name__", ""))
        if check is not None and inspect.isbuiltin(__obj):
            check(__obj.__self__, *args, **kwargs)
        if budget.depth >= limits.MAX_CALL_DEPTH:
            raise limits.TemplateLimitError(f"calls nested deeper than {limits.MAX_CALL_DEPTH}")
        budget.depth += 1
        try:
            return limits.checked(super().call(__context, __obj, *args, **kwargs))
        finally:
            budget.depth -= 1


@lru_cache(maxsize=1)
def sandbox() -> TitleSandbox:
    """The environment every task title is compiled in."""
    return TitleSandbox()


def render_title(template: Template, context: dict[str, Any],
                 seconds: float = limits.RUN_SECONDS) -> tuple[str, bool]:
    """``(title, cut)``: the title within the limits, cut at MAX_TITLE_LENGTH when longer.

    Raises TemplateError (TemplateLimitError past a limit) and whatever a filter given the
    wrong type raises. A context is made for every title with only ``range`` as a global:
    Template.render would copy the environment's globals each time, a quarter of a first
    classification.
    """
    env = template.environment
    token = limits.start_render(seconds)
    try:
        scope = new_context(env, template.name, template.blocks,
                            {"range": limits.bounded_range, **context}, shared=True)
        parts, size = [], 0
        output = template.root_render_func(scope)
        for part in output:
            parts.append(part)
            size += len(part)
            if size > MAX_TITLE_LENGTH:
                output.close()
                break
    finally:
        limits.end_render(token)
    title = "".join(parts)
    if len(title) > MAX_TITLE_LENGTH:
        return cut_title(title), True
    return title, False


def cut_title(text: str) -> str:
    """``text`` shortened to MAX_TITLE_LENGTH characters, ending in an ellipsis when cut."""
    if len(text) <= MAX_TITLE_LENGTH:
        return text
    return text[:MAX_TITLE_LENGTH - len(ELLIPSIS)] + ELLIPSIS


def template_problems(text: str, sample: Mapping[str, Any] | None = None) -> list[str]:
    """What is wrong with a title template: syntax, escapes, unknown names, and, rendered for
    the ``sample`` context when one is given, any limit it goes past."""
    if len(text) > MAX_TEMPLATE_LENGTH:
        return [f"template is longer than {MAX_TEMPLATE_LENGTH} characters"]
    env = sandbox()
    try:
        tree = env.parse(text)
    except TemplateSyntaxError as exc:
        return [f"template syntax error on line {exc.lineno}: {exc.message}"]
    filters = _unknown_filters(tree, env)
    if filters:
        return [f"filter {name!r} is not allowed in a title; allowed: "
                f"{', '.join(sorted(env.filters))}" for name in filters]
    private = _private_names(tree)
    problems = [f"template escape: private names are not allowed "
                f"({', '.join(repr(n) for n in private)})"] if private else []
    known = set(TEMPLATE_VARIABLES) | set(env.globals)
    unknown = sorted(meta.find_undeclared_variables(tree) - known)
    problems += [f"unknown template variable {name!r}; templates see "
                 f"{', '.join(TEMPLATE_VARIABLES)}" for name in unknown]
    if problems:
        return problems
    try:
        template = env.from_string(text)
    except TemplateSyntaxError as exc:
        return [f"template syntax error on line {exc.lineno}: {exc.message}"]
    return _sample_problems(template, sample) if sample is not None else []


def _sample_problems(template: Template, sample: Mapping[str, Any]) -> list[str]:
    """Limits the template goes past when rendered for a sample customer."""
    try:
        _, cut = render_title(template, dict(sample), seconds=limits.CHECK_SECONDS)
    except limits.TemplateLimitError as exc:
        return [f"template goes past a limit when rendered for a sample customer: {exc}"]
    except SecurityError as exc:
        return [f"template escape: {exc}"]
    except (TemplateError, TypeError, ValueError, ArithmeticError, LookupError):
        return []  # depends on the data; a real customer's title falls back to the template
    if cut:
        return [f"title is longer than {MAX_TITLE_LENGTH} characters for a sample customer"]
    return []


def _unknown_filters(tree: nodes.Template, env: TitleSandbox) -> list[str]:
    names = (node.name for node in tree.find_all(nodes.Filter))
    return list(dict.fromkeys(name for name in names if name not in env.filters))


def _private_names(tree: nodes.Template) -> list[str]:
    """Attribute and item names starting with '_' (``x.__class__``, ``x['_y']``)."""
    found = []
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Name)):
        if isinstance(node, nodes.Getattr):
            name = node.attr
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            name = node.arg.value
        else:
            name = getattr(node, "name", "")
        if isinstance(name, str) and name.startswith("_"):
            found.append(name)
    return list(dict.fromkeys(found))
