"""Which tasks a move between two states creates (SPEC §3.4 "Exactly"), as pure functions."""
from __future__ import annotations

from dataclasses import dataclass

from engine.definitions.workflow_specs import WorkflowSpec
from engine.models import UNCLASSIFIED

ANY_SEGMENT = "*"


def names_state(names: tuple[str, ...], state: str) -> bool:
    """Whether a ``from``/``to`` list names ``state``; ``*`` is every segment, not unclassified."""
    return state in names or (ANY_SEGMENT in names and state != UNCLASSIFIED)


@dataclass(frozen=True)
class MovePlan:
    """The templates one move creates, in creation order, each at most once."""

    source: str
    target: str
    on_transition: tuple[str, ...]
    on_enter: tuple[str, ...]

    @property
    def templates(self) -> tuple[str, ...]:
        return self.on_transition + self.on_enter


def plan_move(spec: WorkflowSpec, source: str, target: str) -> MovePlan:
    """Matching ``on_transition`` entries' tasks (entries and tasks in list order), then the
    target's ``on_enter`` tasks; a template named twice is created the first time only."""
    seen: dict[str, None] = {}
    for rule in spec.on_transition:
        if names_state(rule.sources, source) and names_state(rule.targets, target):
            seen.update(dict.fromkeys(t for t in rule.tasks if t not in seen))
    transition_tasks = tuple(seen)
    entry_tasks = tuple(t for t in dict.fromkeys(spec.entered(target)) if t not in seen)
    return MovePlan(source, target, transition_tasks, entry_tasks)
