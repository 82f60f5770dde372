"""Task titles: each template's title compiled once per locale in the sandbox, rendered per task."""
from __future__ import annotations

from typing import Any, Mapping

from jinja2 import Template, TemplateError
from jinja2.runtime import new_context

from engine.definitions.workflow_specs import TaskTemplate
from engine.templates import sandbox

# A title that cannot be rendered for one customer (a profile field it names is missing, a
# filter given the wrong type) must not drop the task: it keeps its template text instead.
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
        self.env = env
        self.compiled: dict[str, list[tuple[str, Template, str]]] = {
            t.id: [(locale, env.from_string(text), text)
                   for locale, text in t.title.by_locale.items()]
            for t in templates}
        self.failures = 0

    def render(self, template_id: str, **context) -> dict[str, str]:
        """``{locale: title}`` (locale ``""`` for a title given as one string)."""
        titles = {}
        for locale, template, text in self.compiled[template_id]:
            try:
                # A context without the environment's globals, made for every task: titles
                # may name only TEMPLATE_VARIABLES (checked when the definition is saved), so
                # they never see a global. Template.render would copy them each time, which
                # was a quarter of a first classification.
                scope = new_context(self.env, template.name, template.blocks, context,
                                    shared=True)
                titles[locale] = self.env.concat(template.root_render_func(scope))
            except RENDER_ERRORS:
                self.failures += 1
                titles[locale] = text
        return titles
