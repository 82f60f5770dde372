"""Which tasks a move creates, and the machine a workflow gets (no database)."""
from __future__ import annotations

import pytest
from transitions import EventData

from engine.definitions.workflow_specs import build_workflow
from engine.workflows.moves import plan_move
from engine.workflows.segment_machine import (AFTER_STEPS, BEFORE_STEPS, CustomerPosition,
                                              SegmentMachine, machine_states)
from tests.workflow_support import template, workflow


def spec(on_enter=None, on_transition=()):
    names = {t for ids in (on_enter or {}).values() for t in ids}
    names |= {t for entry in on_transition for t in entry["tasks"]}
    return build_workflow(workflow(on_enter, on_transition,
                                   {n: template() for n in sorted(names)}))


def test_first_classification_creates_only_on_enter_tasks():
    wf = spec({"a": ["enter_a"]}, [{"from": "*", "to": "*", "tasks": ["any_move"]},
                                   {"from": "*", "to": "a", "tasks": ["into_a"]}])
    first = plan_move(wf, "unclassified", "a")
    assert first.templates == ("enter_a",)
    assert plan_move(wf, "b", "a").templates == ("any_move", "into_a", "enter_a")


def test_an_entry_naming_unclassified_applies_to_first_classification_and_leaving():
    wf = spec({"a": ["enter_a"]}, [{"from": "unclassified", "to": "*", "tasks": ["welcome"]},
                                   {"from": ["a", "b"], "to": "unclassified",
                                    "tasks": ["farewell"]},
                                   {"from": "*", "to": "*", "tasks": ["any_move"]}])
    assert plan_move(wf, "unclassified", "a").templates == ("welcome", "enter_a")
    assert plan_move(wf, "b", "unclassified").templates == ("farewell",)
    assert plan_move(wf, "c", "unclassified").templates == ()


def test_entries_then_tasks_in_list_order_and_a_template_once():
    wf = spec({"c": ["review", "call"]},
              [{"from": ["a", "b"], "to": ["c"], "tasks": ["analysis", "review"]},
               {"from": "a", "to": "c", "tasks": ["churn", "analysis"]},
               {"from": "b", "to": "c", "tasks": ["never"]}])
    plan = plan_move(wf, "a", "c")
    assert plan.on_transition == ("analysis", "review", "churn")
    assert plan.on_enter == ("call",)
    assert plan.templates == ("analysis", "review", "churn", "call")


def test_states_are_unclassified_the_segments_then_retired_ones():
    assert machine_states(("a", "b", "c"), ["old", "a"], ["b", "gone"]) == [
        "unclassified", "a", "b", "c", "gone", "old"]


def test_the_machine_runs_the_registered_steps_in_order():
    calls = []

    def step(name):
        def callback(event: EventData):
            calls.append((name, event.model.state, event.transition.source,
                          event.transition.dest))
        return callback

    registry = {name: step(name) for name in BEFORE_STEPS + AFTER_STEPS}
    machine = SegmentMachine(machine_states(("a", "b")), registry)
    position = CustomerPosition("a", "b")
    machine.move(position)
    assert position.state == "b"
    assert calls == [("cancel_recurring", "a", "a", "b"),
                     ("create_transition_tasks", "b", "a", "b"),
                     ("create_entry_tasks", "b", "a", "b"),
                     ("record_move", "b", "a", "b")]
    assert machine.machine.models == []


def test_a_missing_callback_is_named():
    with pytest.raises(LookupError, match="no move callback registered for record_move; "
                                          "registered: cancel_recurring"):
        SegmentMachine(["unclassified", "a"], {"cancel_recurring": print,
                                               "create_transition_tasks": print,
                                               "create_entry_tasks": print})
