"""Golden customers: pins with the segment a ruleset must keep giving a customer, audited; the
expectations a draft breaks (from a dry run); publish and rollback with a note, a publish that
breaks expectations only when confirmed, and the publishing history."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select, update

from engine import access
from engine.db import transaction
from engine.definitions import golden, lifecycle, store
from engine.errors import InvalidInput, NotFound
from engine.evaluation import evaluate
from engine.models import AuditEntry, Customer, GoldenCustomer, User
from web_world import RULESET, _world_snapshot, world  # noqa: F401  (fixtures)

SEGMENTS = re.compile(r"^(\s+)(\w+):(\s+)\{value: (high|low), potential: (high|low),", re.M)


def _dry_segments(engine, number=None) -> dict[str, str]:
    """customer code → segment of a dry run of version ``number`` (default: published)."""
    result = evaluate(engine, RULESET, dry_run=True, version=number)
    return {str(code): str(segment)
            for code, segment in zip(result.population.codes, result.segments)}


def _pin(engine, code, segment, note=None, actor="admin"):
    with transaction(engine) as session:
        golden.pin(session, RULESET, code, segment, note, actor)


def _published(engine) -> int | None:
    with transaction(engine) as session:
        definition = store.get_definition(session, "ruleset", RULESET)
        version = store.published_version(session, definition)
        return version.number if version else None


def _inverted_draft(engine) -> int:
    """A draft whose quadrant gives every segment the opposite sides (star ↔ dog …)."""
    flip = {"high": "low", "low": "high"}
    with transaction(engine) as session:
        definition = store.get_definition(session, "ruleset", RULESET)
        source = store.latest_version(session, definition).source
        inverted, count = SEGMENTS.subn(
            lambda m: f"{m[1]}{m[2]}:{m[3]}{{value: {flip[m[4]]}, potential: {flip[m[5]]},",
            source)
        assert count == 4, "the world's ruleset is a quadrant of four segments"
        return lifecycle.save_draft(session, "ruleset", inverted, "admin").number


def _trail(engine, action_prefix: str):
    with transaction(engine) as session:
        return session.execute(select(AuditEntry.actor, AuditEntry.action, AuditEntry.object_id,
                                      AuditEntry.details)
                               .where(AuditEntry.action.like(action_prefix + "%"))
                               .order_by(AuditEntry.id)).all()


def test_pin_change_and_unpin_are_listed_and_audited(engine, world):
    _pin(engine, "C1", "star", "协和级别的大客户")
    _pin(engine, "C2", "dog")
    _pin(engine, "C2", "question", "改了")     # pinning again changes the pin
    with transaction(engine) as session:
        pins = golden.expectations(session, RULESET)
        assert [(p.customer_code, p.expected, p.note, p.created_by) for p in pins] == [
            ("C1", "star", "协和级别的大客户", "admin"), ("C2", "question", "改了", "admin")]
        assert all(p.current is not None for p in pins)     # the world's run classified both
        assert golden.pin_count(session, RULESET) == 2
        golden.unpin(session, RULESET, "C2", "admin")
        assert [p.customer_code for p in golden.expectations(session, RULESET)] == ["C1"]
    trail = _trail(engine, "golden.")
    assert [(a, b, c) for a, b, c, _ in trail] == [
        ("admin", "golden.pin", f"{RULESET}:C1"), ("admin", "golden.pin", f"{RULESET}:C2"),
        ("admin", "golden.change", f"{RULESET}:C2"), ("admin", "golden.unpin", f"{RULESET}:C2")]
    assert trail[2][3]["previous_segment"] == "dog" and trail[2][3]["segment"] == "question"
    assert trail[0][3]["note"] == "协和级别的大客户"


def test_bad_pins_are_refused_at_their_field_and_change_nothing(engine, world):
    with pytest.raises(InvalidInput) as refused:
        _pin(engine, "NOPE", "stellar", "x" * 501)
    fields = {p.path: p.message for p in refused.value.problems}
    assert set(fields) == {"customer", "segment", "note"}
    assert "NOPE" in fields["customer"] and "known: star, cash_cow" in fields["segment"]
    assert "501" in fields["note"]
    with pytest.raises(NotFound):
        with transaction(engine) as session:
            golden.pin(session, "no_such_ruleset", "C1", "star", None, "admin")
    with pytest.raises(NotFound):
        with transaction(engine) as session:
            golden.unpin(session, RULESET, "C1", "admin")
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(GoldenCustomer)) == 0
    assert _trail(engine, "golden.") == []


def test_broken_expectations_compare_pins_with_any_classification(engine, world):
    _pin(engine, "C1", "star", "必须是明星")
    _pin(engine, "C2", "dog")
    _pin(engine, "C3", "cash_cow")
    with transaction(engine) as session:
        ids = dict(session.execute(select(Customer.code, Customer.id)).all())
        broken = golden.broken_expectations(
            session, RULESET, {ids["C1"]: "star", ids["C2"]: "question"})
    assert [(b.customer_code, b.expected, b.actual) for b in broken] == [
        ("C2", "dog", "question"), ("C3", "cash_cow", None)]     # C3 is out of scope
    assert broken[0].customer_id == ids["C2"] and broken[0].customer_name == "C2 人民医院"
    with transaction(engine) as session:
        assert golden.broken_expectations(session, "other_ruleset", {}) == []


def test_a_merged_customer_is_read_under_the_customer_it_was_merged_into(engine, world):
    _pin(engine, "C2", "dog")
    with transaction(engine) as session:
        ids = dict(session.execute(select(Customer.code, Customer.id)).all())
        session.execute(update(Customer).where(Customer.code == "C2").values(
            status="merged", merged_into_id=ids["C1"], merged_at=dt.datetime.now(dt.UTC)))
    with transaction(engine) as session:
        assert golden.broken_expectations(session, RULESET, {ids["C1"]: "dog"}) == []
        broken = golden.broken_expectations(session, RULESET, {ids["C1"]: "star"})
    assert [(b.customer_code, b.actual) for b in broken] == [("C2", "star")]
    with pytest.raises(InvalidInput):                   # a merged customer cannot be pinned
        _pin(engine, "C2", "star")


def test_a_draft_breaks_the_pins_its_dry_run_classifies_otherwise(engine, world):
    now = _dry_segments(engine)
    assert now["C1"] != now["C2"], "the world's two customers sit in different segments"
    _pin(engine, "C1", now["C1"])
    _pin(engine, "C2", now["C2"])
    assert golden.draft_breaks(engine, RULESET, 1) == []
    number = _inverted_draft(engine)
    drafted = _dry_segments(engine, number)
    broken = golden.draft_breaks(engine, RULESET, number)
    assert [(b.customer_code, b.expected, b.actual) for b in broken] == sorted(
        (code, now[code], drafted[code]) for code in ("C1", "C2"))
    assert all(b.expected != b.actual for b in broken)


def test_no_pins_no_dry_run(engine, world, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a dry run without golden customers")

    monkeypatch.setattr(golden, "evaluate", refuse)
    assert golden.draft_breaks(engine, RULESET, 1) == []


def test_publish_breaking_pins_needs_confirmation_and_records_them(engine, world):
    now = _dry_segments(engine)
    _pin(engine, "C1", now["C1"])
    number = _inverted_draft(engine)
    with pytest.raises(lifecycle.GoldenExpectationsBroken) as refused:
        lifecycle.publish_confirmed(engine, "ruleset", RULESET, number, "admin",
                                    note="学术影响力加权")
    assert [b.customer_code for b in refused.value.broken] == ["C1"]
    assert "C1" in str(refused.value) and _published(engine) == 1
    assert lifecycle.publish_confirmed(engine, "ruleset", RULESET, number, "admin",
                                       note="  学术影响力加权  ", confirmed=True) == number
    assert _published(engine) == number
    details = _trail(engine, "definition.publish")[-1][3]
    assert details["note"] == "学术影响力加权" and details["version"] == number
    assert details["golden_broken"] == [
        {"customer": "C1", "expected": now["C1"], "actual": _dry_segments(engine)["C1"]}]
    with transaction(engine) as session:
        event = lifecycle.publish_history(session, "ruleset", RULESET)[0]
    assert (event.actor, event.action, event.version, event.previous_version, event.note,
            event.golden_broken) == ("admin", "publish", number, 1, "学术影响力加权", ("C1",))


def test_a_publish_keeping_every_pin_needs_no_confirmation(engine, world):
    now = _dry_segments(engine)
    _pin(engine, "C1", now["C1"])
    with transaction(engine) as session:
        source = store.latest_version(session, store.get_definition(
            session, "ruleset", RULESET)).source
        number = lifecycle.save_draft(session, "ruleset", "# same rules, new comment\n"
                                      + source.replace("window: {months: 12}",
                                                       "window: {months: 13}"),
                                      "admin").number
    assert lifecycle.publish_confirmed(engine, "ruleset", RULESET, number, "erin") == number
    assert "golden_broken" not in _trail(engine, "definition.publish")[-1][3]
    assert "note" not in _trail(engine, "definition.publish")[-1][3]


def test_rollback_records_its_note_and_history_lists_every_publish(engine, world):
    number = _inverted_draft(engine)
    lifecycle.publish_confirmed(engine, "ruleset", RULESET, number, "erin", note="试一下")
    rolled = lifecycle.publish_confirmed(engine, "ruleset", RULESET, 1, "frank",
                                         note="回到原来的象限", rolling_back=True)
    assert rolled == number + 1 and _published(engine) == rolled
    with transaction(engine) as session:
        history = lifecycle.publish_history(session, "ruleset", RULESET)
        note = store.get_version(session, store.get_definition(session, "ruleset", RULESET),
                                 rolled).note
    assert note == "rollback to version 1"
    assert [(e.actor, e.version, e.previous_version, e.note) for e in history[:2]] == [
        ("frank", rolled, number, "回到原来的象限"), ("erin", number, 1, "试一下")]
    assert history[0].at >= history[1].at


def test_a_bad_note_or_version_publishes_nothing(engine, world):
    number = _inverted_draft(engine)
    with pytest.raises(InvalidInput) as refused:
        lifecycle.publish_confirmed(engine, "ruleset", RULESET, number, "admin", note="长" * 501)
    assert refused.value.problems[0].path == "note"
    with pytest.raises(NotFound):
        lifecycle.publish_confirmed(engine, "ruleset", RULESET, 99, "admin")
    assert _published(engine) == 1


def test_customer_search_finds_by_name_or_code_within_the_policy(engine, world):
    with transaction(engine) as session:
        admin = access.Viewer.of(session.scalar(select(User).where(User.username == "admin")))
        rep = access.Viewer.of(session.scalar(select(User).where(User.username == "r2")))
        assert [c.code for c in golden.find_customers(session, admin, "人民")] == [
            "C1", "C2", "C3"]
        assert [c.code for c in golden.find_customers(session, admin, "c2")] == ["C2"]
        assert golden.find_customers(session, admin, "  ") == []
        assert golden.find_customers(session, admin, "%") == []      # a literal percent sign
        assert [c.code for c in golden.find_customers(session, rep, "人民")] == ["C2"]
