"""Titles made only of text and plain lookups, rendered without Jinja's per-render machinery.

Most task titles are text around ``{{ customer.name }}``. For such a template a render through
``engine.templates.render_title`` spends most of its time making a context, a budget and a
generator. ``LookupTitle`` renders the same template from its parsed tree instead: each lookup
goes through the sandbox's own ``getattr``/``getitem`` (so what is safe or unsafe to read is
decided exactly as in a full render), each written value is counted against the same output
limit, and the output stops as soon as it is longer than a title. Anything else — a name not
in the context, an undefined or unsafe attribute, an exception — returns None, and the caller
renders the template the general way, which then gives the same title or raises the same error.
"""
from __future__ import annotations

from typing import Any, Callable

from jinja2 import Undefined, nodes
from jinja2.sandbox import SandboxedEnvironment

from engine import template_limits as limits
from engine.templates import MAX_TITLE_LENGTH, cut_title

# A lookup: the name looked up in the context, then (getattr or getitem, key, plain) steps;
# ``plain`` when, on a ``dict`` itself, the step can only read the item ``key`` (a ``dict``
# has no attribute of that name, so the sandbox's getattr would fall back to the item too).
Lookup = tuple[str, tuple[tuple[Callable[[Any, Any], Any], Any, bool], ...]]
_MISSING = object()


class LookupTitle:
    """A title template that is text and lookups, as a list of parts."""

    def __init__(self, parts: list[str | Lookup]):
        self.parts = parts

    def render(self, context: dict[str, Any]) -> tuple[str, bool] | None:
        """``(title, cut)`` as ``render_title`` gives it, or None when only a full render can
        tell (the title is then rendered the general way)."""
        out, size, produced = [], 0, 0
        try:
            for part in self.parts:
                if isinstance(part, str):
                    text = part
                else:
                    value = _look_up(part, context)
                    if value is _MISSING:
                        return None
                    text = value if isinstance(value, str) else str(value)
                    produced += len(text)
                    limits.check_produced(produced)
                    text = str(text)
                out.append(text)
                size += len(text)
                if size > MAX_TITLE_LENGTH:
                    break
        except Exception:   # noqa: BLE001 - the full render raises it again, or not at all
            return None
        title = "".join(out)
        if len(title) > MAX_TITLE_LENGTH:
            return cut_title(title), True
        return title, False


def _look_up(lookup: Lookup, context: dict[str, Any]) -> Any:
    name, steps = lookup
    value = context.get(name, _MISSING)
    for read, key, plain in steps:
        if value is _MISSING or isinstance(value, Undefined):
            return _MISSING
        if plain and type(value) is dict:
            value = value.get(key, _MISSING)
        else:
            value = read(value, key)
    return _MISSING if isinstance(value, Undefined) else value


def lookup_title(env: SandboxedEnvironment, text: str) -> LookupTitle | None:
    """The template as text and lookups, or None when it has anything else (filters, calls,
    arithmetic, tags) or does not parse."""
    try:
        tree = env.parse(text)
    except Exception:   # noqa: BLE001 - compiling it the general way reports the problem
        return None
    parts: list[str | Lookup] = []
    for statement in tree.body:
        if not isinstance(statement, nodes.Output):
            return None
        for node in statement.nodes:
            if isinstance(node, nodes.TemplateData):
                parts.append(node.data)
                continue
            lookup = _lookup_of(env, node)
            if lookup is None:
                return None
            parts.append(lookup)
    return LookupTitle(parts)


def _lookup_of(env: SandboxedEnvironment, node: nodes.Node) -> Lookup | None:
    steps = []
    while isinstance(node, (nodes.Getattr, nodes.Getitem)):
        if isinstance(node, nodes.Getattr):
            steps.append((env.getattr, node.attr, not hasattr(dict, node.attr)))
        elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, (str, int)):
            steps.append((env.getitem, node.arg.value, False))
        else:
            return None
        node = node.node
    if not isinstance(node, nodes.Name) or node.ctx != "load":
        return None
    return node.name, tuple(reversed(steps))
