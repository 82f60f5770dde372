"""Task titles: each template's title compiled once per locale in the sandbox, rendered per task.

A title that is only text and lookups (``{{ customer.name }}``) is rendered by
``engine.title_lookups`` from its parsed tree, falling back to the full sandboxed render
whenever that one could differ."""
from __future__ import annotations

from typing import Any, Mapping

from jinja2 import Template, TemplateError

from engine.definitions.workflow_specs import TaskTemplate
from engine.templates import cut_title, render_title, sandbox
from engine.title_lookups import LookupTitle, lookup_title

# A title that cannot be rendered for one customer (a profile field it names is missing, a
# filter given the wrong type, a limit of the sandbox passed) must not drop the task nor stop
# the evaluation: it keeps its template text instead, cut to the length of a title.
RENDER_ERRORS = (TemplateError, TypeError, ValueError, ArithmeticError, LookupError)


def customer_context(row: Mapping[str, Any], owner_username: str | None) -> dict[str, Any]:
    """What ``customer`` means in a title: core attributes, over the profile fields."""
    context = dict(row.get("profile") or {})
    context.update(code=row["code"], name=row["name"], type=row["type"],
                   parent=row.get("parent_code"), region=row.get("region"),
                   city=row.get("city"), owner=owner_username, status=row.get("status"))
    return context


class TitleRenderer:
    """Renders the title of a workflow's templates for every locale each one has."""

    def __init__(self, templates: tuple[TaskTemplate, ...]):
        env = sandbox()
        self.compiled: dict[str, list[tuple[str, Template | None, LookupTitle | None, str]]] = {
            t.id: [(locale, *_compile(env, text), text)
                   for locale, text in t.title.by_locale.items()]
            for t in templates}
        self.failures = 0
        self.cut = 0

    def render(self, template_id: str, **context) -> dict[str, str]:
        """``{locale: title}`` (locale ``""`` for a title given as one string)."""
        titles = {}
        for locale, template, lookups, text in self.compiled[template_id]:
            try:
                if template is None:
                    raise TemplateError("the template does not compile")
                rendered = lookups.render(context) if lookups is not None else None
                titles[locale], cut = rendered or render_title(template, context)
                self.cut += cut
            except RENDER_ERRORS:
                self.failures += 1
                titles[locale] = cut_title(text)
        return titles


def _compile(env, text: str) -> tuple[Template | None, LookupTitle | None]:
    """The compiled template, and its parts when it is only text and lookups; (None, None)
    for one saved before the sandbox refused it (an unknown filter), whose tasks then keep
    its text."""
    try:
        return env.from_string(text), lookup_title(env, text)
    except TemplateError:
        return None, None
