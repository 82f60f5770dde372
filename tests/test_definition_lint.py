"""The lint of definitions (issue 11, item 4): warnings beyond validity, each with its code,
line, JSON path and message. One file under tests/data/lint/ per rule, plus clean ones; every
example is a valid definition (the validator accepts it) that the lint still warns about.

The default pack lints with one warning, which is right: ``revenue_prev`` (last year's
revenue) is computed and exported but no axis item, tier or formula uses it.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from sqlalchemy.orm import Session

from engine.definitions.documents import FOLDER_OF, read_document
from engine.definitions.lint import MESSAGES, lint_documents
from engine.definitions.source import SourceFile
from engine.definitions.validate import check_documents, validate_pack
from engine.models import Customer, Visit

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data" / "lint"


def _doc(name: str):
    text = (DATA / name).read_text()
    kind = yaml.safe_load(text)["kind"]
    doc, problems = read_document(SourceFile(f"{FOLDER_OF[kind]}/{name}", text))
    assert doc is not None and problems == []
    return doc


FORM = "clinic_form.yaml"


def _lint(name: str, session=None):
    doc, form = _doc(name), _doc(FORM)
    context = [form] if doc.key != form.key else []
    assert check_documents([doc], context) == [], "lint examples must be valid definitions"
    return lint_documents([doc], session=session, context=context)


def _found(warnings):
    return [(w.code, w.line, w.path) for w in warnings]


EXPECTED = {
    "clean_ruleset.yaml": [],
    "clinic_form.yaml": [],
    "map_data.yaml": [],
    "band_gap.yaml": [
        ("band_gap", 22, "$.axes.reach.items[0].score.bands[1]"),
        ("band_gap", 25, "$.axes.reach.items[1].score.bands[1]"),
    ],
    "band_overlap.yaml": [
        ("band_overlap", 19, "$.axes.reach.items[0].score.bands[1]"),
        ("band_unreachable", 20, "$.axes.reach.items[0].score.bands[2]"),
    ],
    "map_option.yaml": [("map_missing_option", 18, "$.axes.reach.items[0].score.map")],
    "tiers_never.yaml": [
        ("tier_never_true", 22, "$.classification.tiers[0].when"),
        ("tier_never_true", 23, "$.classification.tiers[1].when"),
        ("tier_shadowed", 25, "$.classification.tiers[3].when"),
    ],
    "tiers_cover_all.yaml": [("tier_unreachable", 20, "$.classification.tiers[2]")],
    "unused_metric.yaml": [
        ("metric_unused", 10, "$.metrics.spare"),
        ("metric_unused_chain", 11, "$.metrics.part"),
        ("metric_unused", 12, "$.metrics.ratio"),
    ],
    "dominant_weight.yaml": [("axis_dominant_item", 17, "$.axes.reach.items[0].weight")],
    "visible_if_never.yaml": [
        ("visible_if_never_true", 21, "$.fields[2].visible_if"),
        ("visible_if_unknown_option", 21, "$.fields[2].visible_if"),
        ("visible_if_never_true", 25, "$.fields[3].visible_if"),
        ("visible_if_never_true", 29, "$.fields[4].visible_if"),
        ("visible_if_unknown_option", 33, "$.fields[5].visible_if"),
    ],
}


def test_every_example_file_has_its_expectation():
    assert sorted(p.name for p in DATA.glob("*.yaml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_rule_warns_at_its_line(name):
    assert _found(_lint(name)) == EXPECTED[name]


def test_every_rule_has_an_example():
    codes = {code for found in EXPECTED.values() for code, _line, _path in found}
    assert codes | {"map_missing_data"} == set(MESSAGES)


MESSAGES_SEEN = {
    "band_gap.yaml": "Values between 10 and 20 fall in no band and get the 'else' points (1).",
    "band_overlap.yaml": "Band 2 overlaps band 1 from 40 to 50; those values get the points of "
                         "band 1, the first that matches.",
    "map_option.yaml": "Options of field 'level' missing from the map: 'c'. Customers with them "
                       "get the 'else' points (0).",
    "tiers_cover_all.yaml": "The last tier 'rest' never gets a customer: the tiers above it "
                            "already take everyone.",
    "dominant_weight.yaml": "Item 'volume' carries 90 % of the weight of axis 'reach'; the "
                            "other items barely move its score.",
}


@pytest.mark.parametrize("name", sorted(MESSAGES_SEEN))
def test_messages_say_what_and_where_in_words(name):
    first = _lint(name)[0]
    assert first.message == MESSAGES_SEEN[name]
    assert str(first).startswith(f"rules/{name}:{first.line}:")
    assert f"warning {first.code}: {first.message}" in str(first)


def test_the_shadowing_tier_is_named():
    shadowed = [w for w in _lint("tiers_never.yaml") if w.code == "tier_shadowed"]
    assert "the tiers above it ('strong')" in shadowed[0].message


def test_the_default_pack_lints_with_its_one_unused_metric():
    contents, problems = validate_pack(ROOT)
    assert problems == []
    warnings = lint_documents(contents.definitions)
    assert [(w.code, w.file, w.path) for w in warnings] == [
        ("metric_unused", "rules/value_potential.yaml", "$.metrics.revenue_prev")]
    assert warnings[0].line == next(
        n for n, line in enumerate((ROOT / "rules/value_potential.yaml").read_text()
                                   .splitlines(), 1) if line.lstrip().startswith("revenue_prev:"))


def test_an_explicit_else_covers_the_options_a_map_leaves_out():
    doc = _doc("map_option.yaml")
    doc.content["axes"]["reach"]["items"][0]["score"]["else"] = 1
    assert lint_documents([doc], context=[_doc(FORM)]) == []


def test_the_pharmacy_example_pack_lints_clean():
    contents, problems = validate_pack(Path(__file__).parent / "data" / "valid" / "pharmacy_pack")
    assert problems == [] and contents.definitions
    assert lint_documents(contents.definitions) == []


def test_definitions_with_broken_references_do_not_break_the_lint():
    """The studio lints only saved (valid) versions; still, a definition that passes its
    schema but not the reference checks gives warnings or none, never an exception."""
    linted = 0
    for path in sorted((Path(__file__).parent / "data" / "invalid").glob("*.yaml")):
        text = path.read_text()
        if not text.startswith("# place: "):
            continue
        place = text.split("\n", 1)[0].removeprefix("# place: ").strip()
        doc, _problems = read_document(SourceFile(place, text))
        if doc is not None:
            assert isinstance(lint_documents([doc]), list)
            linted += 1
    assert linted >= 20


def test_a_definition_that_fails_its_schema_is_left_to_the_validator():
    doc = _doc("band_gap.yaml")
    doc.content["axes"] = "not a mapping"
    assert lint_documents([doc]) == []


def test_conditions_too_large_to_analyse_are_passed_over():
    doc = _doc("tiers_never.yaml")
    many = " or ".join(f"reach >= {n}" for n in range(300))
    crossed = " and ".join(f"(reach >= {n} or volume > {n})" for n in range(12))
    doc.content["classification"]["tiers"][0]["when"] = many
    doc.content["classification"]["tiers"][1]["when"] = crossed
    codes = _found(lint_documents([doc]))
    assert all(path not in ("$.classification.tiers[0].when", "$.classification.tiers[1].when")
               for _code, _line, path in codes)


def test_a_name_compared_with_a_number_and_with_text_is_passed_over():
    form = _doc("visible_if_never.yaml")
    form.content["fields"][5]["visible_if"] = "level == 1"
    ruleset = _doc("tiers_never.yaml")
    ruleset.content["classification"]["tiers"][0]["when"] = "reach == 'x'"
    found = _found(lint_documents([form, ruleset]))
    assert ("visible_if_never_true", 33, "$.fields[5].visible_if") not in found
    assert ("tier_never_true", 22, "$.classification.tiers[0].when") not in found
    assert ("tier_shadowed", 25, "$.classification.tiers[3].when") in found


def test_staircase_bands_and_touching_bounds_are_not_overlaps():
    doc = _doc("clean_ruleset.yaml")
    bands = doc.content["axes"]["reach"]["items"][2]["score"]["bands"]
    assert bands[0]["max"] == bands[1]["min"]          # 100 belongs to the first band
    assert lint_documents([doc], context=[_doc(FORM)]) == []
    bands[1]["min"] = 90                               # now 90–100 goes to the first band
    assert _found(lint_documents([doc], context=[_doc(FORM)])) == [
        ("band_overlap", 26, "$.axes.reach.items[2].score.bands[1]")]


# --- the data probe: SQLite and PostgreSQL (KAMFLOW_TEST_DATABASE_URL) ------------------------

def _customer(code: str, profile: dict, type_: str = "clinic", status: str = "active",
              region: str | None = "北京") -> Customer:
    return Customer(code=code, name=code, normalized_name=code, type=type_, status=status,
                    region=region, profile=profile)


def _fill(engine) -> None:
    with Session(engine) as session, session.begin():
        clinics = [_customer("c1", {"level": "a", "size": 10}),
                   _customer("c2", {"level": "d", "size": 20.0}, region="上海"),
                   _customer("c3", {"level": "d", "size": 10}),
                   _customer("c4", {"level": "b", "size": ""}),
                   _customer("c5", {"level": "c"}),
                   _customer("c6", {}),
                   # Out of scope: another type, an inactive clinic.
                   _customer("o1", {"level": "zzz", "size": 99}, type_="pharmacy"),
                   _customer("o2", {"level": "yyy", "size": 98}, status="inactive")]
        session.add_all(clinics)
        session.flush()
        day = dt.date(2026, 1, 5)
        channels = ["visit", "wechat", "wechat", "phone", "wechat"]
        session.add_all(Visit(visit_id=f"v{i}", customer_id=clinics[i % 3].id, date=day,
                              channel=channel) for i, channel in enumerate(channels))
        session.add(Visit(visit_id="v9", customer_id=clinics[-2].id, date=day, channel="fax"))


def test_the_data_probe_finds_values_a_map_misses(engine):
    _fill(engine)
    with Session(engine) as session:
        warnings = _lint("map_data.yaml", session=session)
    assert [(w.code, w.line, w.path, w.message) for w in warnings] == [
        ("map_missing_data", 18, "$.axes.reach.items[0].score.map",
         "The data holds values of 'level' that the map does not list: 'd' (2). "
         "They get the 'else' points (0)."),
        ("map_missing_data", 19, "$.axes.reach.items[1].score.map",
         "The data holds values of 'size' that the map does not list: '20' (1). "
         "They get the 'else' points (0)."),
        ("map_missing_data", 20, "$.axes.reach.items[2].score.map",
         "The data holds values of 'region' that the map does not list: '上海' (1). "
         "They get the 'else' points (2)."),
        ("map_missing_data", 21, "$.axes.reach.items[3].score.map",
         "The data holds values of visits.channel that the map does not list: "
         "'wechat' (3). They get the 'else' points (0)."),
    ]


def test_options_the_map_lacks_are_not_warned_about_twice(engine):
    _fill(engine)
    with Session(engine) as session:
        warnings = _lint("map_option.yaml", session=session)
    assert [(w.code, w.line, w.message.split(". ")[0]) for w in warnings] == [
        ("map_missing_data", 18,
         "The data holds values of 'level' that the map does not list: 'd' (2)"),
        ("map_missing_option", 18, "Options of field 'level' missing from the map: 'c'"),
        ("map_missing_data", 21,
         "The data holds values of visits.channel that the map does not list: 'wechat' (3)"),
    ]


def test_the_data_probe_is_quiet_on_an_empty_database_and_without_a_session(engine):
    with Session(engine) as session:
        assert _lint("map_data.yaml", session=session) == []
    _fill(engine)
    assert _lint("map_data.yaml") == []
