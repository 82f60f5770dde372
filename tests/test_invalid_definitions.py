"""Every broken input under tests/data/invalid/ is refused with its exact messages, and
importing it changes nothing."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from engine.definitions.validate import validate_pack
from engine.errors import InvalidInput
from engine.packs import import_pack
from engine.setup import initialize
from tests.packs_support import DATA, ROOT, case_header, copy_default_pack, stored_counts

CASES = sorted(p for p in (DATA / "invalid").iterdir() if p.suffix in (".yaml", ".zip"))


def build_case(case: Path, tmp_path: Path) -> Path:
    """The pack to validate: a zip case as it is, else the default pack with the file placed."""
    if case.suffix == ".zip":
        return case
    place, _ = case_header(case)
    pack = copy_default_pack(tmp_path / "pack")
    original = ROOT / place
    if original.exists():
        assert original.read_text() != case.read_text().split("\n", 1)[1], "case changes nothing"
    (pack / place).write_bytes(case.read_bytes())
    return pack


def test_every_kind_of_mistake_has_a_case():
    names = {c.stem for c in CASES}
    for required in ("malformed_yaml", "unknown_key", "wrong_type", "duplicate_id",
                     "dangling_field", "dangling_ruleset", "dangling_task", "dangling_segment",
                     "missing_on_enter", "expr_attribute", "expr_dunder", "expr_unknown_function",
                     "expr_class_mro", "expr_jinja_filter", "yaml_python_tag", "alias_bomb",
                     "zip_absolute_path", "zip_dotdot", "zip_backslash", "zip_symlink",
                     "zip_too_many_members", "zip_too_big", "zip_lying_header", "too_large",
                     "template_power", "template_format_width", "template_repeat_name",
                     "template_repeat_power", "template_center", "template_nested_loops",
                     "template_macro_recursion", "template_range", "template_lipsum",
                     "template_wordwrap", "template_long_title", "schedule_out_of_range",
                     "too_many_metrics", "expr_long", "yaml_nested_1000", "json_nested_1000"):
        assert required in names


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_case_is_refused_with_its_messages(case, tmp_path):
    _, expected = case_header(case)
    assert expected, f"{case.name} names no expected message"
    _, problems = validate_pack(build_case(case, tmp_path))
    assert [str(p) for p in problems] == expected


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_importing_case_stores_nothing(case, tmp_path, engine):
    initialize(engine, admin_password="pw")
    before = stored_counts(engine)
    with pytest.raises(InvalidInput) as raised:
        import_pack(engine, build_case(case, tmp_path), actor="test")
    assert [str(p) for p in raised.value.problems] == case_header(case)[1]
    assert stored_counts(engine) == before


def test_alias_bomb_fails_fast(tmp_path):
    started = time.perf_counter()
    _, problems = validate_pack(build_case(DATA / "invalid" / "alias_bomb.yaml", tmp_path))
    # A bound on a hang, not a speed target: loose enough for a loaded CI machine.
    assert problems and time.perf_counter() - started < 10.0


@pytest.mark.parametrize("name", ["template_power", "template_format_width",
                                  "template_nested_loops", "yaml_nested_1000",
                                  "json_nested_1000"])
def test_limit_cases_fail_fast(name, tmp_path):
    case = next(c for c in CASES if c.stem == name)
    started = time.perf_counter()
    _, problems = validate_pack(build_case(case, tmp_path))
    assert problems and time.perf_counter() - started < 10.0
