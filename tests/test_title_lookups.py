"""Titles of text and lookups render as the full sandboxed render does (engine.title_lookups)."""
from __future__ import annotations

import pytest

from engine import template_limits as limits
from engine.definitions.workflow_specs import build_workflow
from engine.templates import MAX_TITLE_LENGTH, render_title, sandbox
from engine.title_lookups import lookup_title
from engine.workflows.titles import TitleRenderer
from tests.workflow_support import template, workflow

CONTEXT = {"customer": {"name": "协和医院", "code": "H1", "beds": 500, "city": None,
                        "owner": "rep01", "long": "x" * 400, "huge": "y" * 25_000},
           "segment": "star", "previous_segment": "unclassified", "scores": {"value": 1.5}}

SIMPLE = ["拜访{{ customer.name }}", "{{ customer.code }}: {{ segment }} ← {{ previous_segment }}",
          "{{ customer['name'] }} {{ customer.beds }} beds, {{ scores.value }}",
          "{{ customer.city }}", "plain text only", "", "{{ customer.long }}",
          "{{ customer.long }}{{ customer.missing }}", "{{ customer.items }}x",
          "{{ customer.missing }}", "{{ nobody }}", "{{ customer.name.missing }}",
          "{{ customer.huge }}", "{{ customer.__class__ }}", "{{ segment.upper }}",
          "{{ range }}"]
GENERAL = ["{{ customer.name | upper }}", "{{ customer.beds + 1 }}", "{% if 1 %}x{% endif %}",
           "{{ customer.name.upper() }}", "{{ 'x' }}", "{{ customer[segment] }}"]


def full(text: str):
    try:
        return render_title(sandbox().from_string(text), dict(CONTEXT))
    except Exception as exc:   # noqa: BLE001 - compared by type and message
        return type(exc), str(exc)


@pytest.mark.parametrize("text", SIMPLE)
def test_a_lookup_title_renders_as_the_full_render_or_leaves_it_to_it(text):
    title = lookup_title(sandbox(), text)
    assert title is not None
    fast = title.render(dict(CONTEXT))
    expected = full(text)
    if fast is None:    # the general render decides: an error, or an object's text
        assert isinstance(expected[0], type) or " at 0x" in expected[0]
    else:
        assert fast == expected


def test_the_fast_path_takes_plain_titles_and_cuts_long_ones():
    env = sandbox()
    assert lookup_title(env, "拜访{{ customer.name }}").render(dict(CONTEXT)) == ("拜访协和医院",
                                                                               False)
    cut = lookup_title(env, "{{ customer.long }}{{ customer.missing }}").render(dict(CONTEXT))
    assert cut == ("x" * (MAX_TITLE_LENGTH - 1) + "…", True)
    assert lookup_title(env, "{{ customer.missing }}").render(dict(CONTEXT)) is None
    assert lookup_title(env, "{{ customer.huge }}").render(dict(CONTEXT)) is None
    assert full("{{ customer.huge }}") == (limits.TemplateLimitError,
                                           f"wrote more than {limits.MAX_PRODUCED} characters")


@pytest.mark.parametrize("text", GENERAL)
def test_anything_but_text_and_lookups_takes_the_full_render(text):
    assert lookup_title(sandbox(), text) is None


def test_the_renderer_gives_the_full_render_titles_and_falls_back_to_the_text():
    names = ["a", "b", "c"]
    titles = [{"en": "Visit {{ customer.name }}", "zh": "拜访{{ customer.name }}"},
              "{{ customer.missing }} call", "{{ customer.name | upper }}"]
    spec = build_workflow(workflow({"a": names}, (), {
        n: template(title=t) for n, t in zip(names, titles)}))
    renderer = TitleRenderer(spec.tasks)
    context = dict(CONTEXT, customer=dict(CONTEXT["customer"], name="Mercy"))
    assert renderer.render("a", **context) == {"en": "Visit Mercy", "zh": "拜访Mercy"}
    assert renderer.render("b", **context) == {"": "{{ customer.missing }} call"}
    assert renderer.render("c", **context) == {"": "MERCY"}
    assert renderer.failures == 1
