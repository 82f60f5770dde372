"""What applying a run, or a day's maintenance, did: counts for the CLI, the demo and the log."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class WorkflowOutcome:
    """One workflow's share of a run (this call's work only, when a run is resumed)."""

    workflow_id: str
    version_id: int | None
    moves: Counter = field(default_factory=Counter)          # (from, to) → customers
    created_by_segment: Counter = field(default_factory=Counter)
    created_by_assignee: Counter = field(default_factory=Counter)   # username, None: unassigned
    cancelled: int = 0
    kept: int = 0
    not_created_open: int = 0
    title_failures: int = 0

    @property
    def moved(self) -> int:
        return sum(self.moves.values())

    @property
    def created(self) -> int:
        return sum(self.created_by_segment.values())

    @property
    def unassigned(self) -> int:
        return self.created_by_assignee.get(None, 0)

    def count_move(self, source: str, target: str) -> None:
        self.moves[(source, target)] += 1

    def count_task(self, segment: str, assignee: str | None) -> None:
        self.created_by_segment[segment] += 1
        self.created_by_assignee[assignee] += 1

    def as_dict(self) -> dict:
        return {"workflow_id": self.workflow_id, "version_id": self.version_id,
                "moved": self.moved, "created": self.created, "cancelled": self.cancelled,
                "kept": self.kept, "not_created_open": self.not_created_open,
                "unassigned": self.unassigned, "title_failures": self.title_failures,
                "moves": {f"{a}->{b}": n for (a, b), n in sorted(self.moves.items())},
                "created_by_segment": dict(sorted(self.created_by_segment.items()))}


@dataclass
class WorkflowReport:
    """Every workflow of the run's ruleset, in the order they were applied."""

    run_id: int
    ruleset_id: str
    workflows: list[WorkflowOutcome] = field(default_factory=list)

    @property
    def moved(self) -> int:
        return sum(w.moved for w in self.workflows)

    @property
    def created(self) -> int:
        return sum(w.created for w in self.workflows)

    @property
    def cancelled(self) -> int:
        return sum(w.cancelled for w in self.workflows)

    def created_by_segment(self) -> Counter:
        return sum((w.created_by_segment for w in self.workflows), Counter())

    def created_by_assignee(self) -> Counter:
        total: Counter = Counter()
        for outcome in self.workflows:
            total.update(outcome.created_by_assignee)
        return total

    def as_dict(self) -> dict:
        return {"run_id": self.run_id, "ruleset_id": self.ruleset_id,
                "workflows": [w.as_dict() for w in self.workflows]}
