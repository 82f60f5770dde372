"""Task title templates: one sandboxed Jinja environment, and checks run at import time."""
from __future__ import annotations

from functools import lru_cache

from jinja2 import StrictUndefined, TemplateSyntaxError, meta, nodes
from jinja2.sandbox import SandboxedEnvironment

TEMPLATE_VARIABLES = ("customer", "segment", "previous_segment", "scores")
MAX_TEMPLATE_LENGTH = 1000


@lru_cache(maxsize=1)
def sandbox() -> SandboxedEnvironment:
    """The environment every task title is compiled in: sandboxed, strict, no autoescape."""
    return SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


def template_problems(text: str) -> list[str]:
    """What is wrong with a title template: syntax, escapes, unknown variables."""
    if len(text) > MAX_TEMPLATE_LENGTH:
        return [f"template is longer than {MAX_TEMPLATE_LENGTH} characters"]
    env = sandbox()
    try:
        tree = env.parse(text)
        env.compile(tree)
    except TemplateSyntaxError as exc:
        return [f"template syntax error on line {exc.lineno}: {exc.message}"]
    private = _private_names(tree)
    problems = [f"template escape: private names are not allowed "
                f"({', '.join(repr(n) for n in private)})"] if private else []
    unknown = sorted(meta.find_undeclared_variables(tree) - set(TEMPLATE_VARIABLES))
    problems += [f"unknown template variable {name!r}; templates see "
                 f"{', '.join(TEMPLATE_VARIABLES)}" for name in unknown]
    return problems


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
