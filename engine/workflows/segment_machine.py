"""A workflow definition's state machine: one ``transitions.Machine``, a model per customer.

The states are ``unclassified`` plus the ruleset's segments. Every state can move to every other
one through the single trigger ``reclassify``; a customer's model carries the state it is
heading to. The callbacks a move runs come from a registry the caller passes in, named by the
steps below: never from strings in a definition.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping

from transitions import EventData, Machine

from engine.models import UNCLASSIFIED

TRIGGER = "reclassify"
# The steps of a move, in the order SPEC §3.4 fixes: cancellations before the state changes,
# then the on_transition tasks, the on_enter tasks, and the record of the new state.
BEFORE_STEPS = ("cancel_recurring",)
AFTER_STEPS = ("create_transition_tasks", "create_entry_tasks", "record_move")
MoveCallback = Callable[[EventData], None]


class CustomerPosition:
    """A customer's model in a workflow machine while a run moves it."""

    def __init__(self, state: str, target: str, data: Any = None):
        self.state = state
        self.target = target
        self.data = data


def machine_states(segments: Iterable[str], *seen: Iterable[str]) -> list[str]:
    """``unclassified``, the ruleset's segments in definition order, then any other state met
    (a segment a later ruleset version no longer has), in code-point order."""
    states = [UNCLASSIFIED, *(s for s in segments if s != UNCLASSIFIED)]
    known = set(states)
    extra = sorted({s for group in seen for s in group} - known)
    return states + extra


def _heading_to(state: str) -> Callable[[EventData], bool]:
    def condition(event: EventData) -> bool:
        return event.model.target == state

    return condition


def _resolve(registry: Mapping[str, MoveCallback], names: tuple[str, ...]) -> list[MoveCallback]:
    missing = [n for n in names if n not in registry]
    if missing:
        raise LookupError(f"no move callback registered for {', '.join(missing)}; "
                          f"registered: {', '.join(sorted(registry))}")
    return [registry[n] for n in names]


class _PositionMachine(Machine):
    """A ``Machine`` that binds only the triggers to its models.

    ``Machine`` also gives each model an ``is_<state>`` helper per state and looks on it for
    ``on_enter_<state>``/``on_exit_<state>`` methods. A position needs neither, and binding
    them was a tenth of a first classification of 100,000 customers. (The hierarchical
    machine of ``transitions.extensions`` overrides the same hook.)
    """

    def _add_model_to_state(self, state, model) -> None:
        return None


class SegmentMachine:
    """One workflow definition's machine; customers are added as models for their move."""

    def __init__(self, states: list[str], callbacks: Mapping[str, MoveCallback]):
        before, after = _resolve(callbacks, BEFORE_STEPS), _resolve(callbacks, AFTER_STEPS)
        transitions = [{"trigger": TRIGGER, "source": [s for s in states if s != dest],
                        "dest": dest, "conditions": [_heading_to(dest)],
                        "before": before, "after": after} for dest in states]
        self.machine = _PositionMachine(model=None, states=states, initial=UNCLASSIFIED,
                                        transitions=transitions, auto_transitions=False,
                                        send_event=True)

    def move(self, position: CustomerPosition) -> None:
        """Take ``position`` from its state to its target, running every step's callbacks."""
        self.machine.add_model(position, initial=position.state)
        try:
            position.trigger(TRIGGER)
        finally:
            self.machine.remove_model(position)
