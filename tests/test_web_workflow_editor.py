"""``/studio/workflow/<id>/design``: the workflow editor. The form is read back as a browser
would submit it; a save writes a draft (published untouched, comments kept), a problem shows at
its field with nothing saved, and titles render for a real customer through the sandbox."""
from __future__ import annotations

import html
import html.parser

from engine.db import transaction
from engine.definitions import store
from web_support import app, make_app, post_form, sign_in, text  # noqa: F401  (fixtures)
from web_world import PASSWORD, _world_snapshot, world  # noqa: F401  (fixtures)

WORKFLOW = "quadrant_followup"
PAGE = f"/studio/workflow/{WORKFLOW}/design"


class FormValues(html.parser.HTMLParser):
    """What the editor's form submits untouched: inputs' values, checked boxes, selected
    options; and every control's id with the ids that labels point at."""

    def __init__(self):
        super().__init__()
        self.values: list[tuple[str, str]] = []
        self.controls: list[str] = []
        self.labelled: set[str] = set()
        self._select: str | None = None
        self._select_first: str | None = None
        self._select_chosen = False
        self._in_form = False
        self._in_label = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and "workflow-editor" in (a.get("class") or ""):
            self._in_form = True
        if tag == "label":
            self._in_label += 1
            if a.get("for"):
                self.labelled.add(a["for"])
        if not self._in_form:
            return
        if tag in ("input", "select", "textarea") and a.get("type") != "hidden":
            control = a.get("id") or f"<{tag} {a.get('name')}>"
            self.controls.append(control)
            if self._in_label:
                self.labelled.add(control)
        if tag == "input" and a.get("name"):
            if a.get("type") == "checkbox":
                if "checked" in a:
                    self.values.append((a["name"], a.get("value", "on")))
            else:
                self.values.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self._select = a.get("name")
            self._select_first, self._select_chosen = None, "multiple" in a
        elif tag == "option" and self._select:
            if self._select_first is None:
                self._select_first = a.get("value", "")
            if "selected" in a:
                self.values.append((self._select, a.get("value", "")))
                self._select_chosen = True

    def handle_endtag(self, tag):
        if tag == "label":
            self._in_label -= 1
        if tag == "select":
            if self._select and not self._select_chosen and self._select_first is not None:
                self.values.append((self._select, self._select_first))   # as browsers do
            self._select = None
        if tag == "form":
            self._in_form = False


def _form(page: str) -> FormValues:
    parser = FormValues()
    parser.feed(page)
    return parser


def _admin(app):
    client = app.test_client()
    assert sign_in(client, "admin", PASSWORD).status_code == 302
    post_form(client, "/language", {"locale": "en", "next": "/"})
    return client


def _submit(client, values: list[tuple[str, str]]):
    data: dict[str, list[str]] = {}
    for name, value in values:
        if name != "csrf_token":
            data.setdefault(name, []).append(value)
    return post_form(client, PAGE, data, page=PAGE)


def _replace(values, name: str, value: str):
    return [(n, value if n == name else v) for n, v in values]


def _state(engine):
    with transaction(engine) as session:
        definition = store.get_definition(session, "workflow", WORKFLOW)
        latest = store.latest_version(session, definition)
        return store.published_version(session, definition).number, latest.number, latest.source


def test_the_editor_shows_segments_tasks_and_a_label_for_every_control(app, world):
    page = text(_admin(app).get(PAGE))
    form = _form(page)
    assert "weekly_visit" in page and "churn_review" in page
    unlabelled = [c for c in form.controls if c not in form.labelled]
    assert unlabelled == []
    assert ("weekly_visit-days", "7") in form.values
    assert ("enter-star", "weekly_visit") in form.values


def test_saving_the_form_untouched_changes_nothing(app, world, engine):
    client = _admin(app)
    before = _state(engine)
    response = _submit(client, _form(text(client.get(PAGE))).values)
    assert response.status_code == 303
    assert "Nothing changed" in text(client.get(PAGE))
    assert _state(engine) == before


def test_a_changed_interval_is_saved_as_a_draft_keeping_comments(app, world, engine):
    client = _admin(app)
    published, latest, _source = _state(engine)
    values = _replace(_form(text(client.get(PAGE))).values, "weekly_visit-days", "5")
    response = _submit(client, values)
    assert response.status_code == 303
    new_published, new_latest, source = _state(engine)
    assert (new_published, new_latest) == (published, latest + 1)
    assert "every_days: 5" in source and "# Leaving a segment cancels" in source


def test_a_task_is_added_and_used_on_entering_a_segment(app, world, engine):
    client = _admin(app)
    values = _form(text(client.get(PAGE))).values
    values = _replace(values, "new-id", "welcome_call")
    values = _replace(values, "new-title-zh", "回访{{ customer.name }}")
    values = _replace(values, "new-days", "3")
    values = _replace(values, "new-kind", "call")
    values.append(("enter-dog", "welcome_call"))
    response = _submit(client, values)
    assert response.status_code == 303, text(response)
    source = _state(engine)[2]
    assert "welcome_call:" in source and "dog: [roi_review, monthly_call, welcome_call]" in source


def test_removing_a_task_removes_its_uses(app, world, engine):
    client = _admin(app)
    values = _form(text(client.get(PAGE))).values + [("churn_review-remove", "1")]
    assert _submit(client, values).status_code == 303
    source = _state(engine)[2]
    assert "churn_review" not in source


def test_a_bad_number_is_shown_at_its_field_and_nothing_is_saved(app, world, engine):
    client = _admin(app)
    before = _state(engine)
    response = _submit(client, _replace(_form(text(client.get(PAGE))).values,
                                        "weekly_visit-days", "soon"))
    assert response.status_code == 400
    page = text(response)
    assert 'id="weekly_visit-days-error"' in page and "whole number of days" in page
    assert _state(engine) == before


def test_a_validator_problem_is_shown_at_its_field_with_the_clis_message(app, world, engine):
    client = _admin(app)
    before = _state(engine)
    response = _submit(client, _replace(_form(text(client.get(PAGE))).values,
                                        "weekly_visit-title-zh", "拜访{{ nobody.name }}"))
    assert response.status_code == 400
    page = html.unescape(text(response))
    assert 'id="weekly_visit-title-zh-error"' in page
    assert "unknown template variable 'nobody'" in page
    assert _state(engine) == before


def test_a_stale_form_saves_nothing(app, world, engine):
    client = _admin(app)
    before = _state(engine)
    values = _replace(_form(text(client.get(PAGE))).values, "number", "0")
    values = _replace(values, "weekly_visit-days", "5")
    assert _submit(client, values).status_code == 303
    assert _state(engine) == before


def test_titles_render_for_a_real_customer_and_hostile_text_stays_text(app, world):
    client = _admin(app)
    url = f"{PAGE}/title"
    page = text(client.get(url, query_string={
        "prefix": "weekly_visit", "customer": "C1",
        "weekly_visit-title-zh": "拜访{{ customer.name }}（{{ customer.code }}）",
        "weekly_visit-title-en": "<b>Visit</b> {{ customer.code }}"}))
    assert "（C1）" in page and "&lt;b&gt;Visit&lt;/b&gt; C1" in page
    bad = text(client.get(url, query_string={"prefix": "weekly_visit", "customer": "C1",
                                             "weekly_visit-title-zh": "{{ customer.name "}))
    assert "template syntax error" in bad
    first = text(client.get(url, query_string={"prefix": "new", "new-title-en": "{{ segment }}"}))
    assert "For " in first and "<dd>" in first, "no code: the first customer of the latest run"
    missing = text(client.get(url, query_string={"prefix": "new", "customer": "NOPE"}))
    assert "No customer with code NOPE" in missing
    assert client.get(url, query_string={"prefix": "../x"}).status_code == 404


def test_others_may_not_design_workflows(app, world):
    for username in ("m1", "r1", "s1"):
        client = app.test_client()
        assert sign_in(client, username, PASSWORD).status_code == 302
        assert client.get(PAGE).status_code == 403
