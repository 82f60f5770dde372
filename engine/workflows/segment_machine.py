"""A workflow definition's state machine: one ``transitions.Machine`` per workflow.

The states are ``unclassified`` plus the ruleset's segments. Every state can move to every
other one; there is one event per destination (``reclassify:<state>``), so a move finds its
single transition without testing a condition per candidate. A customer's position is not
bound to the machine: the destination's event is triggered with the position as its model,
which runs the transition (state change and callbacks) without ``add_model``/``remove_model``
per customer. The callbacks a move runs come from a registry the caller passes in, named by
the steps below: never from strings in a definition.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping

from transitions import EventData, Machine

from engine.models import UNCLASSIFIED

TRIGGER = "reclassify"   # the events are "reclassify:<destination>"
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


def trigger_name(destination: str) -> str:
    """The event that moves a position to ``destination``."""
    return f"{TRIGGER}:{destination}"


def _resolve(registry: Mapping[str, MoveCallback], names: tuple[str, ...]) -> list[MoveCallback]:
    missing = [n for n in names if n not in registry]
    if missing:
        raise LookupError(f"no move callback registered for {', '.join(missing)}; "
                          f"registered: {', '.join(sorted(registry))}")
    return [registry[n] for n in names]


class _PositionMachine(Machine):
    """A ``Machine`` that binds nothing to a model added to it.

    ``Machine`` gives each model an ``is_<state>`` helper per state and looks on it for
    ``on_enter_<state>``/``on_exit_<state>`` methods; a position needs neither. (The
    hierarchical machine of ``transitions.extensions`` overrides the same hook.)
    """

    def _add_model_to_state(self, state, model) -> None:
        return None


class SegmentMachine:
    """One workflow definition's machine; each customer's position is moved through it."""

    def __init__(self, states: list[str], callbacks: Mapping[str, MoveCallback]):
        before, after = _resolve(callbacks, BEFORE_STEPS), _resolve(callbacks, AFTER_STEPS)
        transitions = [{"trigger": trigger_name(dest), "source": [s for s in states if s != dest],
                        "dest": dest, "before": before, "after": after} for dest in states]
        self.machine = _PositionMachine(model=None, states=states, initial=UNCLASSIFIED,
                                        transitions=transitions, auto_transitions=False,
                                        send_event=True)
        self.events = {dest: self.machine.events[trigger_name(dest)] for dest in states}

    def move(self, position: CustomerPosition) -> None:
        """Take ``position`` from its state to its target, running every step's callbacks."""
        try:
            event = self.events[position.target]
        except KeyError:
            raise LookupError(f"{position.target!r} is not a state of this workflow; states: "
                              f"{', '.join(self.events)}") from None
        if not event.trigger(position):
            raise RuntimeError(f"no move from {position.state!r} to {position.target!r}")
