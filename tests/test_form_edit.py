"""Structured edits of a form's text (engine.definitions.form_edit): each change kind, comments
and untouched lines kept, bad changes refused with a clear error and the text unchanged."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.definitions import form_edit as edit
from engine.definitions.yamlsafe import parse_text

HOSPITAL = (Path(__file__).parents[1] / "forms" / "hospital.yaml").read_text()
SMALL = """\
kind: form   # the kind
id: clinic
title: {zh: 诊所, en: Clinic}
customer_type: clinic
fields:
  # the size of the clinic
  - key: beds
    label: {zh: 床位数, en: Beds}
    type: integer
    min: 0      # never negative
  - key: level
    label: {zh: 级别, en: Level}
    type: select
    options:
      - {value: 1, label: {zh: 一级, en: One}}
      - {value: "b", label: {zh: 乙, en: B}}
  - key: note
    label: Note
    type: text
"""


def _content(text: str) -> dict:
    parsed = parse_text(text, "forms/x.yaml")
    assert not parsed.problems, parsed.problems
    return parsed.content


def _keys(text: str) -> list[str]:
    return [f["key"] for f in _content(text)["fields"]]


def _changed_lines(old: str, new: str) -> set[str]:
    return set(old.splitlines()) ^ set(new.splitlines())


def test_adding_a_field_keeps_every_comment_and_line():
    new = edit.apply_changes(SMALL, [edit.AddField("staff", "integer",
                                                   {"zh": "员工", "en": "Staff"}, True,
                                                   after="beds")])
    assert _keys(new) == ["beds", "staff", "level", "note"]
    assert _content(new)["fields"][1] == {"key": "staff", "label": {"zh": "员工", "en": "Staff"},
                                          "type": "integer", "required": True}
    for line in SMALL.splitlines():
        assert line in new.splitlines()           # comments, quoting and spacing untouched
    assert "  - key: staff\n    label: {zh: 员工, en: Staff}\n    type: integer\n" in new


def test_adding_at_the_end_of_the_default_pack_form_touches_nothing_else():
    new = edit.apply_changes(HOSPITAL, [edit.AddField("wards", "text", {"en": "Wards"})])
    assert new.startswith(HOSPITAL)
    assert _keys(new)[-1] == "wards"
    # The odd label {zh: 开放, 易转变, en: Open} keeps its text as written.
    assert "{zh: 开放, 易转变, en: Open}" in new


def test_removing_and_moving_fields():
    removed = edit.apply_changes(SMALL, [edit.RemoveField("level")])
    assert _keys(removed) == ["beds", "note"]
    assert "# the size of the clinic" in removed and "min: 0      # never negative" in removed
    moved = edit.apply_changes(SMALL, [edit.MoveField("note", 0)])
    assert _keys(moved) == ["note", "beds", "level"]
    assert "# never negative" in moved
    reordered = edit.apply_changes(SMALL, [edit.Reorder(("level", "note", "beds"))])
    assert _keys(reordered) == ["level", "note", "beds"]


def test_setting_attributes_changes_only_their_lines():
    new = edit.apply_changes(SMALL, [
        edit.SetAttribute("beds", "min", 5),
        edit.SetAttribute("beds", "max", 900),
        edit.SetAttribute("beds", "label", {"zh": "床位", "en": "Beds"}),
        edit.SetAttribute("beds", "required", True),
        edit.SetAttribute("beds", "help", {"zh": "", "en": "Licensed beds"}),
        edit.SetAttribute("note", "visible_if", "beds > 10"),
        edit.SetAttribute("note", "max_length", 200),
        edit.SetAttribute("note", "pattern", "[A-Z].*"),
        edit.SetAttribute("note", "section", {"zh": "其他", "en": "Other"}),
    ])
    beds, _level, note = _content(new)["fields"]
    assert beds == {"key": "beds", "label": {"zh": "床位", "en": "Beds"}, "type": "integer",
                    "required": True, "min": 5, "max": 900, "help": {"en": "Licensed beds"}}
    assert note["visible_if"] == "beds > 10" and note["max_length"] == 200
    assert note["label"] == "Note" and note["section"] == {"zh": "其他", "en": "Other"}
    assert "    min: 5      # never negative" in new
    assert "kind: form   # the kind" in new
    assert list(beds) == ["key", "label", "type", "required", "min", "max", "help"]


def test_removing_an_attribute_with_none():
    new = edit.apply_changes(SMALL, [edit.SetAttribute("beds", "min", None)])
    assert "min" not in _content(new)["fields"][0]
    assert _changed_lines(SMALL, new) == {"    min: 0      # never negative"}


def test_options_are_edited_in_place_keeping_their_values_types():
    new = edit.apply_changes(SMALL, [edit.SetAttribute("level", "options", [
        (1, {"zh": "一级", "en": "Level one"}), ("b", {"zh": "乙", "en": "B"}),
        ("c", {"zh": "丙", "en": ""})])])
    options = _content(new)["fields"][1]["options"]
    assert options == [{"value": 1, "label": {"zh": "一级", "en": "Level one"}},
                       {"value": "b", "label": {"zh": "乙", "en": "B"}},
                       {"value": "c", "label": {"zh": "丙"}}]
    assert '      - {value: "b", label: {zh: 乙, en: B}}' in new
    fewer = edit.apply_changes(SMALL, [edit.SetAttribute("level", "options", [
        ("b", {"zh": "乙", "en": "B"})])])
    assert _content(fewer)["fields"][1]["options"] == [{"value": "b",
                                                         "label": {"zh": "乙", "en": "B"}}]


def test_renaming_a_key_and_changing_the_type():
    new = edit.apply_changes(SMALL, [edit.SetAttribute("note", "type", "textarea"),
                                     edit.SetAttribute("note", "key", "remark")])
    assert _content(new)["fields"][2] == {"key": "remark", "label": "Note", "type": "textarea"}


def test_json_text_is_edited_as_json():
    text = json.dumps(_content(SMALL), ensure_ascii=False, indent=2)
    new = edit.apply_changes(text, [edit.RemoveField("note")], "json")
    assert [f["key"] for f in json.loads(new)["fields"]] == ["beds", "level"]


@pytest.mark.parametrize("change, where, message", [
    (edit.AddField("beds", "text", {"en": "B"}), ("beds", "key"), "'beds' is already a field"),
    (edit.AddField("Bad-Key", "text", {"en": "B"}), ("Bad-Key", "key"), "a key is a lowercase"),
    (edit.AddField("region", "text", {"en": "R"}), ("region", "key"), "a core attribute"),
    (edit.AddField("x", "money", {"en": "X"}), ("x", "type"), "unknown field type 'money'"),
    (edit.AddField("x", "text", {"zh": " ", "en": ""}), ("x", "label"), "a label needs text"),
    (edit.RemoveField("nope"), ("nope", None), "no such field"),
    (edit.MoveField("beds", 7), ("beds", None), "position 8 is outside 1–3"),
    (edit.Reorder(("beds", "note")), (None, None), "missing: level"),
    (edit.SetAttribute("beds", "colour", "red"), ("beds", "colour"), "unknown attribute"),
    (edit.SetAttribute("beds", "label", {"zh": "", "en": ""}), ("beds", "label"),
     "a label needs text"),
    (edit.SetAttribute("note", "key", "beds"), ("beds", "key"), "'beds' is already a field"),
    (edit.SetAttribute("level", "options", [("", {"en": "x"})]), ("level", "options"),
     "option 1 has no value"),
])
def test_a_change_that_does_not_fit_is_refused_and_nothing_changes(change, where, message):
    with pytest.raises(edit.FormEditError) as caught:
        edit.apply_changes(SMALL, [edit.SetAttribute("beds", "min", 3), change])
    assert message in str(caught.value)
    assert (caught.value.field, caught.value.attribute) == where


def test_the_last_field_cannot_be_removed():
    one = edit.apply_changes(SMALL, [edit.RemoveField("level"), edit.RemoveField("note")])
    with pytest.raises(edit.FormEditError, match="at least one field"):
        edit.apply_changes(one, [edit.RemoveField("beds")])


@pytest.mark.parametrize("text, message", [
    ("kind: form\nfields: [\n", r"cannot be read \(malformed YAML"),
    ("kind: form\na: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [" + "*a, " * 9 + "*a]\nc: &c ["
     + "*b, " * 9 + "*b]\nd: &d [" + "*c, " * 9 + "*c]\ne: [" + "*d, " * 9 + "*d]\nfields: []\n",
     "expands to more than"),
    ("kind: ruleset\nid: x\n", "not a form"),
    ("kind: form\nfields: 3\n", "'fields' is not a list"),
])
def test_text_that_is_not_an_editable_form_is_refused(text, message):
    with pytest.raises(edit.FormEditError, match=message):
        edit.apply_changes(text, [edit.RemoveField("x")])


def test_no_change_returns_the_text_itself():
    assert edit.apply_changes(SMALL, [edit.SetAttribute("beds", "min", 0)]) is SMALL


def test_visible_if_is_checked_like_pack_import():
    fields = edit.read_fields(SMALL)
    assert edit.check_visible_if(fields, "note", "beds > 10 and region == '浙江省'") is None
    assert edit.check_visible_if(fields, "note", "beds >") == (
        "expression 'beds >', position 7: expected a value, found the end of the expression")
    assert "unknown name 'bedz' (did you mean 'beds'?)" in edit.check_visible_if(
        fields, "note", "bedz > 1")
    assert "expected a boolean expression" in edit.check_visible_if(fields, "note", "beds + 1")


def test_check_text_reports_what_saving_would():
    broken = edit.apply_changes(SMALL, [edit.SetAttribute("beds", "max", -1)])
    problems = edit.check_text(broken, [])
    assert [(p.path, p.message) for p in problems] == [("$.fields[0].min", "min is above max")]
    assert edit.check_text(SMALL, []) == []
