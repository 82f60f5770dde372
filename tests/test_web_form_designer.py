"""The studio's form designer (/studio/form/<id>/design): structured edits of a form posted as
plain forms, saved as a draft version checked like ``pack import``; errors at the field; the
published version untouched; the live preview and the visible_if check (htmx partials)."""
from __future__ import annotations

import re
from html.parser import HTMLParser

from engine.db import transaction
from engine.definitions import store
from web_support import app, make_app, post_form, sign_in, text  # noqa: F401  (fixtures)
from web_world import PASSWORD, _world_snapshot, world  # noqa: F401  (fixtures)

DESIGN = "/studio/form/hospital/design"


class _DesignerForm(HTMLParser):
    """The values a browser would submit from ``form#designer`` (checked boxes, selected
    options), without its buttons."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.inside, self.values, self.select = False, {}, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == "designer"
        if not self.inside or "name" not in attrs and tag != "option":
            return
        if tag == "input" and (attrs.get("type") != "checkbox" or "checked" in attrs):
            self.values[attrs["name"]] = attrs.get("value", "")
        elif tag == "select":
            self.select = attrs["name"]
            self.values.setdefault(self.select, None)
        elif tag == "option" and self.select and ("selected" in attrs
                                                  or self.values[self.select] is None):
            self.values[self.select] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        if tag == "select":
            self.select = None


def _client(app, username: str = "admin"):
    """Signed in, in English (the world's users start in Chinese)."""
    client = app.test_client()
    assert sign_in(client, username, PASSWORD).status_code == 302
    assert post_form(client, "/language", {"locale": "en", "next": "/"}).status_code in (302, 303)
    return client


def _form_values(page: str) -> dict:
    parser = _DesignerForm()
    parser.feed(page)
    assert "source" in parser.values, "the designer form carries its working text"
    return parser.values


def _post(client, values: dict, action: str, **changes):
    data = {**values, **changes, "action": action}
    return client.post(DESIGN, data=data)


def _state(engine):
    with transaction(engine) as session:
        definition = store.get_definition(session, "form", "hospital")
        published = store.published_version(session, definition)
        latest = store.latest_version(session, definition)
        return published.number, published.source, latest.number, latest.source, latest.content


def _field_item(page: str, key: str) -> str:
    match = re.search(rf'<li class="designer-field" data-key="{key}".*?</li>\s*(?=<li class='
                      rf'"designer-field"|</ol>)', page, re.S)
    assert match, f"no field {key} on the page"
    return match.group(0)


def test_the_designer_shows_every_field_with_labelled_controls(app, world, engine):
    page = text(_client(app).get(DESIGN))
    *_, content = _state(engine)
    for field in content["fields"]:
        assert f'data-key="{field["key"]}"' in page
    assert 'href="/studio/form/hospital"' in page and 'href="/studio/form/hospital/edit"' in page
    ids = re.findall(r'<(?:input|select|textarea)(?![^>]*type="hidden")[^>]*\bid="([^"]+)"', page)
    assert ids
    for control in ids:                       # every control has a label
        assert f'for="{control}"' in page, control
    assert 'id="pf-grade"' in page            # the preview renders through the customer macro


def test_an_admin_adds_a_required_field_and_saves_a_draft(app, world, engine):
    published_before, published_source, latest_before, source_before, _ = _state(engine)
    client = _client(app)
    values = _form_values(text(client.get(DESIGN)))
    added = _post(client, values, "add", **{"new-key": "ward_count", "new-type": "integer",
                                           "new-label-zh": "病区数", "new-label-en": "Wards",
                                           "new-required": "1"})
    assert added.status_code == 200
    page = text(added)
    assert 'data-key="ward_count"' in page and 'id="pf-ward_count"' in page
    assert _state(engine)[2] == latest_before          # nothing stored before saving
    values = _form_values(page)
    values["f-ward_count-min"] = "1"
    saved = _post(client, values, "save")
    assert saved.status_code == 303
    assert saved.headers["Location"].endswith("/studio/form/hospital")
    published, source, latest, new_source, content = _state(engine)
    assert latest == latest_before + 1
    assert (published, source) == (published_before, published_source)
    assert content["fields"][-1] == {"key": "ward_count", "label": {"zh": "病区数", "en": "Wards"},
                                     "type": "integer", "required": True, "min": 1}
    assert new_source.startswith(source_before)        # the rest of the text, comments kept


def test_a_problem_is_shown_at_its_field_and_nothing_is_saved(app, world, engine):
    before = _state(engine)
    client = _client(app)
    values = _form_values(text(client.get(DESIGN)))
    values.update({"f-beds-min": "500", "f-beds-max": "10"})
    refused = _post(client, values, "save")
    assert refused.status_code == 400
    item = _field_item(text(refused), "beds")
    assert "min is above max" in item                   # the message of pack import
    assert 'aria-invalid="true"' in item and "<details open" in item
    assert 'value="500"' in item                        # what was typed is kept
    assert _state(engine) == before
    values = _form_values(text(client.get(DESIGN)))
    values["f-beds-max"] = "lots"
    unreadable = _post(client, values, "save")
    assert unreadable.status_code == 400
    assert "Enter a number." in _field_item(text(unreadable), "beds")
    assert _state(engine) == before


def test_moving_and_removing_fields_without_javascript(app, world, engine):
    client = _client(app)
    page = text(client.get(DESIGN))
    keys = re.findall(r'data-key="([a-z_0-9]+)"', page)
    moved = text(_post(client, _form_values(page), f"down:{keys[0]}"))
    assert re.findall(r'data-key="([a-z_0-9]+)"', moved)[:2] == [keys[1], keys[0]]
    removed = _post(client, _form_values(moved), f"remove:{keys[-1]}")
    assert f'data-key="{keys[-1]}"' not in text(removed)
    assert _post(client, _form_values(text(removed)), "save").status_code == 303
    content = _state(engine)[4]
    assert [f["key"] for f in content["fields"]] == [keys[1], keys[0]] + keys[2:-1]


def test_a_drag_and_drop_order_is_posted_as_the_order_field(app, world, engine):
    client = _client(app)
    values = _form_values(text(client.get(DESIGN)))
    keys = values["order"].split(",")
    values["order"] = ",".join(reversed(keys))
    assert _post(client, values, "save").status_code == 303
    assert [f["key"] for f in _state(engine)[4]["fields"]] == list(reversed(keys))


def test_options_and_labels_are_edited_and_hostile_text_is_shown_as_text(app, world, engine):
    client = _client(app)
    values = _form_values(text(client.get(DESIGN)))
    values["f-grade-opt-0-en"] = "<script>alert(1)</script>"
    values["f-grade-label-en"] = '<img src=x onerror="alert(2)">'
    page = text(_post(client, values, "apply"))
    assert "<script>alert(1)</script>" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert _post(client, _form_values(page), "save").status_code == 303
    grade = _state(engine)[4]["fields"][0]
    assert grade["label"]["en"] == '<img src=x onerror="alert(2)">'
    assert grade["options"][0]["label"]["en"] == "<script>alert(1)</script>"


def test_visible_if_is_checked_as_the_admin_types(app, world):
    client = _client(app)
    values = _form_values(text(client.get(DESIGN)))
    check = DESIGN + "/check"
    bad = client.post(check, data={**values, "check": "beds", "f-beds-visible_if": "grade =="},
                      headers={"HX-Request": "true"})
    assert bad.status_code == 200
    assert "expression &#39;grade ==&#39;, position 9" in text(bad)
    unknown = client.post(check, data={**values, "check": "beds",
                                       "f-beds-visible_if": "grde == '3A'"})
    assert "did you mean &#39;grade&#39;?" in text(unknown)
    good = client.post(check, data={**values, "check": "beds",
                                    "f-beds-visible_if": "grade == '3A'"})
    assert "The condition checks." in text(good)
    unread = client.post(check, data={"csrf_token": values["csrf_token"], "check": "beds",
                                      "f-beds-visible_if": "grade == '3A'"})
    assert "The condition checks." not in text(unread)
    assert "the text cannot be read (the file is empty)" in text(unread)


def test_the_preview_follows_the_edits(app, world):
    client = _client(app)
    values = _form_values(text(client.get(DESIGN)))
    values["f-beds-label-en"] = "Licensed beds"
    values["f-beds-required"] = "1"
    preview = text(client.post(DESIGN + "/preview", data=values,
                               headers={"HX-Request": "true"}))
    assert "<html" not in preview
    assert re.search(r'<label for="pf-beds">Licensed beds', preview)
    assert re.search(r'id="pf-beds" name="beds" required', preview)


def test_only_admins_design_forms(app, world):
    for username in ("m1", "r1", "s1"):
        assert _client(app, username).get(DESIGN).status_code == 403
    assert _client(app).get("/studio/form/nope/design").status_code == 404
    assert post_form(_client(app), DESIGN, {"action": "save", "source": "kind: [\n"},
                     page=DESIGN).status_code == 400


def test_saving_over_a_version_saved_meanwhile_asks_first(app, world, engine):
    client = _client(app)
    stale = _form_values(text(client.get(DESIGN)))
    fresh = _form_values(text(client.get(DESIGN)))
    fresh["f-beds-max"] = "30000"
    assert _post(client, fresh, "save").status_code == 303
    latest = _state(engine)[2]
    stale["f-beds-min"] = "1"
    warned = _post(client, stale, "save")
    assert warned.status_code == 400
    assert f"Version {latest} was saved since you opened the designer" in text(warned)
    assert _state(engine)[2] == latest
    again = _post(client, _form_values(text(warned)), "save")
    assert again.status_code == 303
    beds = _state(engine)[4]["fields"][1]
    assert (beds["min"], beds["max"]) == (1, 20000)


def test_values_typed_into_the_preview_show_conditions_and_checks(app, world, engine):
    client = _client(app)
    source = _state(engine)[3]
    preview = DESIGN + "/preview"
    empty = text(post_form(client, preview, page=DESIGN, data={"fd-preview-source": source, "grade": ""}))
    assert re.search(r'<div class="field conditional" hidden>\s*<label for="pf-expansion_note"',
                     empty)
    assert "Hidden: Expansion details is shown only when" in empty
    shown = text(post_form(client, preview, page=DESIGN, data={"fd-preview-source": source,
                                            "development_plan": "expanding"}))
    assert re.search(r'<div class="field conditional" >\s*<label for="pf-expansion_note"', shown)
    checked = text(post_form(client, preview, page=DESIGN, data={"fd-preview-source": source, "grade": "",
                                              "beds": "many", "fd-preview-check": "1"}))
    assert re.search(r'id="pf-grade-errors" class="field-errors"><li>Fill in this field.', checked)
    assert re.search(r'id="pf-beds-errors" class="field-errors"><li>Enter a whole number.', checked)
    fine = text(post_form(client, preview, page=DESIGN, data={"fd-preview-source": source, "grade": "3A",
                                           "fd-preview-check": "1"}))
    assert "These values would be accepted." in fine
    assert _state(engine)[3] == source                   # nothing stored
