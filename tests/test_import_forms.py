"""``engine.forms``: a form's JSON Schema for profile data, and text cells → typed values."""
from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

from engine.definitions.specs import build_form
from engine.forms import ProfileForm, profile_schema

FORM = build_form({
    "kind": "form", "id": "clinic", "title": "Clinic", "customer_type": "clinic",
    "fields": [
        {"key": "name_en", "label": "English name", "type": "text", "max_length": 5,
         "pattern": "^[A-Z]"},
        {"key": "notes", "label": "Notes", "type": "textarea"},
        {"key": "doctors", "label": "Doctors", "type": "integer", "required": True, "min": 1,
         "max": 50},
        {"key": "rating", "label": "Rating", "type": "number", "min": 0, "max": 4.5},
        {"key": "insured", "label": "Insured", "type": "boolean"},
        {"key": "opened", "label": "Opened", "type": "date"},
        {"key": "level", "label": "Level", "type": "select",
         "options": [{"value": 1, "label": "one"}, {"value": "2a", "label": "two"}]},
        {"key": "services", "label": "Services", "type": "multiselect",
         "options": [{"value": "lab", "label": "Lab"}, {"value": "xray", "label": "X-ray"}]},
        {"key": "email", "label": "E-mail", "type": "email"},
        {"key": "phone", "label": "Phone", "type": "phone"},
        {"key": "site", "label": "Site", "type": "url"},
    ]})
CHECKS = ProfileForm(FORM)


def test_schema_of_a_form():
    schema = profile_schema(FORM)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False and schema["required"] == ["doctors"]
    props = schema["properties"]
    assert props["name_en"] == {"title": "English name", "type": ["string", "null"],
                                "maxLength": 5, "pattern": "^[A-Z]"}
    assert props["doctors"] == {"title": "Doctors", "type": "integer", "minimum": 1,
                                "maximum": 50}
    assert props["rating"]["type"] == ["number", "null"]
    assert props["insured"]["type"] == ["boolean", "null"]
    assert props["opened"] == {"title": "Opened", "type": ["string", "null"], "format": "date"}
    assert props["level"] == {"title": "Level", "enum": [1, "2a", None]}
    assert props["services"] == {"title": "Services", "type": ["array", "null"],
                                 "items": {"enum": ["lab", "xray"]}, "uniqueItems": True}
    assert [props[k]["format"] for k in ("email", "phone", "site")] == ["email", "phone", "uri"]


def test_cells_become_typed_values():
    data, problems = CHECKS.from_cells({
        "name_en": "Abc", "notes": "多行\n备注", "doctors": "+12", "rating": "4.5",
        "insured": "YES", "opened": "2024-02-29", "level": "1", "services": "xray; lab;",
        "email": "a@b.cn", "phone": "+86 (21) 6283-9000 转 12", "site": "https://x.cn/a?b",
    })
    assert problems == []
    assert data == {"name_en": "Abc", "notes": "多行\n备注", "doctors": 12, "rating": 4.5,
                    "insured": True, "opened": "2024-02-29", "level": 1,
                    "services": ["xray", "lab"], "email": "a@b.cn",
                    "phone": "+86 (21) 6283-9000 转 12", "site": "https://x.cn/a?b"}


@pytest.mark.parametrize("cell, value", [("true", True), ("False", False), ("1", True),
                                         ("0", False), ("Yes", True), ("NO", False)])
def test_booleans(cell, value):
    assert CHECKS.from_cells({"doctors": "1", "insured": cell}) == \
        ({"doctors": 1, "insured": value}, [])


def test_numbers_keep_integers_integral():
    assert CHECKS.from_cells({"doctors": "3", "rating": "4"})[0] == {"doctors": 3, "rating": 4}
    assert CHECKS.from_cells({"doctors": "3", "rating": "1e0"})[0]["rating"] == 1.0


@pytest.mark.parametrize("key, cell, message", [
    ("name_en", "abc", "expected text matching ^[A-Z], got 'abc'"),
    ("name_en", "Abcdef", "expected at most 5 characters, got 'Abcdef'"),
    ("doctors", "1.0", "expected an integer, got '1.0'"),
    ("doctors", "１２", "expected an integer, got '１２'"),
    ("doctors", "0", "expected at least 1, got '0'"),
    ("doctors", "51", "expected at most 50, got '51'"),
    ("rating", "4.6", "expected at most 4.5, got '4.6'"),
    ("rating", "nan", "expected a number, got 'nan'"),
    ("insured", "y", "expected true, false, 1, 0, yes or no, got 'y'"),
    ("opened", "2023-02-29", "expected a date as YYYY-MM-DD, got '2023-02-29'"),
    ("opened", "20230228", "expected a date as YYYY-MM-DD, got '20230228'"),
    ("level", "3", "expected one of 1, 2a, got '3'"),
    ("services", "lab;ct", "expected one of lab, xray, got 'ct'"),
    ("services", "lab;lab", "expected each option once, got 'lab;lab'"),
    ("email", "a@b", "expected an e-mail address, got 'a@b'"),
    ("phone", "call me", "expected a phone number, got 'call me'"),
    ("site", "www.x.cn", "expected a URL starting with http:// or https://, got 'www.x.cn'"),
])
def test_each_bad_cell_says_what_was_expected(key, cell, message):
    cells = {"doctors": "1", key: cell}
    data, problems = CHECKS.from_cells(cells)
    assert [(p.key, p.message) for p in problems] == [(key, message)]


def test_required_and_every_problem_in_field_order():
    data, problems = CHECKS.from_cells({"rating": "x", "name_en": "a", "doctors": None})
    assert [(p.key, p.message) for p in problems] == [
        ("name_en", "expected text matching ^[A-Z], got 'a'"),
        ("doctors", "expected a value, got an empty cell"),
        ("rating", "expected a number, got 'x'")]
    assert data == {"name_en": "a"}


def test_submitted_data_is_checked_with_the_same_rules():
    assert CHECKS.validate({"doctors": 2, "rating": None, "services": None}) == []
    problems = CHECKS.validate({"doctors": 2.5, "level": "1", "services": ["lab", "lab"],
                                "colour": "red"})
    assert [(p.key, p.message) for p in problems] == [
        ("colour", "expected an empty cell (form clinic of type clinic has no field colour), "
                   "got 'red'"),
        ("doctors", "expected an integer, got 2.5"),
        ("level", "expected one of 1, 2a, got '1'"),
        ("services", "expected each option once, got ['lab', 'lab']")]
    assert [p.message for p in CHECKS.validate({})] == ["expected a value, got an empty cell"]


def test_unknown_field_type_is_named_with_the_known_ones():
    from engine.forms import field_type

    with pytest.raises(LookupError, match="unknown field type 'colour'; known: text, textarea"):
        field_type("colour")
