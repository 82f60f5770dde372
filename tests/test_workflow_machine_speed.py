"""The workflow machine and the first-classification fast paths behave as the general ones."""
from __future__ import annotations

import pytest

from engine.workflows.segment_machine import (AFTER_STEPS, BEFORE_STEPS, CustomerPosition,
                                              SegmentMachine, machine_states)


def registry(calls: list):
    def step(name):
        return lambda event: calls.append((name, event.model.data, event.transition.dest))
    return {name: step(name) for name in BEFORE_STEPS + AFTER_STEPS}


def test_a_move_to_a_state_the_machine_lacks_is_named():
    machine = SegmentMachine(machine_states(("a", "b")), registry([]))
    with pytest.raises(LookupError, match="'gone' is not a state of this workflow; "
                                          "states: unclassified, a, b"):
        machine.move(CustomerPosition("a", "gone"))


def test_one_machine_moves_many_positions_each_to_its_own_target():
    calls = []
    machine = SegmentMachine(machine_states(("a", "b")), registry(calls))
    positions = [CustomerPosition("unclassified", "a", 1), CustomerPosition("a", "b", 2),
                 CustomerPosition("b", "unclassified", 3)]
    for position in positions:
        machine.move(position)
    assert [p.state for p in positions] == ["a", "b", "unclassified"]
    assert [c for c in calls if c[0] == "record_move"] == [
        ("record_move", 1, "a"), ("record_move", 2, "b"), ("record_move", 3, "unclassified")]
    assert machine.machine.models == []
