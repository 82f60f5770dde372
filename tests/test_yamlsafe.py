"""Reading YAML and JSON safely, with positions."""
from __future__ import annotations

from engine.definitions.yamlsafe import parse_text


def messages(parsed):
    return [str(p) for p in parsed.problems]


def test_positions_of_values_and_keys():
    parsed = parse_text("a:\n  b: [1, {c: x}]\n", "f.yaml")
    assert parsed.content == {"a": {"b": [1, {"c": "x"}]}}
    assert parsed.lines.find(("a", "b", 1, "c")) == (2, 14)
    assert parsed.lines.find(("a", "b", 7)) == (2, 6)


def test_tags_are_refused():
    parsed = parse_text("a: !!python/object/apply:os.system ['id']\nb: !!binary aGk=\n", "t.yaml")
    assert messages(parsed) == [
        "t.yaml:1:4: $.a: YAML tag '!!python/object/apply:os.system' is not allowed",
        "t.yaml:2:4: $.b: YAML tag '!!binary' is not allowed"]


def test_non_text_keys_duplicates_and_merge_keys():
    parsed = parse_text("yes: 1\n2: b\nc: 1\nc: 2\n<<: {d: 1}\n", "k.yaml")
    assert messages(parsed) == [
        "k.yaml:1:1: $: map key 'yes' is read by YAML as bool, not text; quote it",
        "k.yaml:2:1: $: map key '2' is read by YAML as int, not text; quote it",
        "k.yaml:4:1: $.c: duplicate key 'c'",
        "k.yaml:5:1: $: YAML merge keys '<<' are not supported"]


def test_dates_stay_text():
    assert parse_text("d: 2026-02-28\n", "d.yaml").content == {"d": "2026-02-28"}


def test_self_referencing_alias_stops():
    assert messages(parse_text("&a [*a]", "r.yaml")) == [
        "r.yaml:1:1: document nests deeper than 64 levels"]


def test_json_is_strict_and_keeps_positions():
    parsed = parse_text('{\n  "a": 1,\n  "b": 2e3\n}', "j.json")
    assert parsed.content == {"a": 1, "b": 2000.0}
    assert parsed.lines.find(("b",)) == (3, 8)
    assert messages(parse_text('{"a": 1, "a": 2}', "j.json")) == ["j.json: duplicate key 'a'"]
    assert messages(parse_text('{"a": 1,}', "j.json")) == [
        "j.json:1:9: malformed JSON: Expecting property name enclosed in double quotes"]


def test_yaml_nested_deeper_than_python_can_recurse_is_a_problem():
    flow = "a: " + "[" * 1000 + "]" * 1000 + "\n"
    block = "a:\n" + "".join("  " * i + "- \n" for i in range(1, 1000))
    mapping = "a: " + "{b: " * 1000 + "}" * 1000 + "\n"
    assert messages(parse_text(flow, "f.yaml")) == [
        "f.yaml:1:68: document nests deeper than 64 levels"]
    assert messages(parse_text(block, "b.yaml")) == [
        "b.yaml:66:131: document nests deeper than 64 levels"]
    assert messages(parse_text(mapping, "m.yaml")) == [
        "m.yaml:1:257: document nests deeper than 64 levels"]


def test_json_nested_deeper_than_python_can_recurse_is_a_problem():
    deep = '{"a": ' + "[" * 1000 + "]" * 1000 + "}"
    lines = "{\n" + '"a": [\n' * 1000 + "]" * 1000 + "}"
    assert messages(parse_text(deep, "f.json")) == [
        "f.json:1:71: document nests deeper than 64 levels"]
    assert messages(parse_text(lines, "l.json")) == [
        "l.json:66:6: document nests deeper than 64 levels"]


def test_json_depth_ignores_brackets_inside_strings():
    parsed = parse_text('{"a": "' + "[" * 1000 + '\\"["}', "s.json")
    assert parsed.problems == [] and parsed.content == {"a": "[" * 1000 + '"['}


def test_nesting_at_the_limit_is_read():
    text = "[" * 65 + "]" * 65
    assert parse_text(text, "ok.json").problems == []
    assert parse_text(text, "ok.yaml").problems == []
    assert messages(parse_text("[" + text + "]", "no.json")) == [
        "no.json:1:66: document nests deeper than 64 levels"]
