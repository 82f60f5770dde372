"""What a customer merge did, or would do (``--dry-run``), and how the command line says it."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class MergeResult:
    """Counts per kind of record moved, the records given up where both customers had one,
    the children re-parented, and the stored runs that keep the dropped customer's scores."""

    keep_code: str
    drop_code: str
    dry_run: bool = False
    moved: dict[str, int] = field(default_factory=dict)
    replaced: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    children: list[str] = field(default_factory=list)
    stored_runs: list[int] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The merge as text: what moved, what the kept customer's records replaced, and
        what stays in stored runs."""
        would = "would " if self.dry_run else ""
        moved = ", ".join(f"{kind.replace('_', ' ')} {count}"
                          for kind, count in self.moved.items())
        if self.children:
            moved += f" ({', '.join(self.children)})"
        out = [f"dry run, nothing changed: would merge {self.drop_code} into {self.keep_code}"
               if self.dry_run else f"merged {self.drop_code} into {self.keep_code}",
               f"{would}move: {moved}"]
        given_up = self._given_up(self.dry_run)
        if given_up:
            out.append(f"the kept customer's records win: {'; '.join(given_up)}")
        runs = ", ".join(map(str, self.stored_runs)) or "none"
        out.append(f"{self.drop_code} {'would stay' if self.dry_run else 'stays'} in stored "
                   f"runs ({runs}) as merged into {self.keep_code}")
        return out

    def _given_up(self, dry_run: bool) -> list[str]:
        cancel, clear, drop = (("would cancel", "would clear", "would drop") if dry_run
                               else ("cancelled", "cleared", "dropped"))
        out = [f"{cancel} task {t['id']} ({t['workflow_id']} {t['template']})"
               for t in self.replaced.get("tasks_cancelled", [])]
        out += [f"{clear} override {o['id']} ({o['ruleset_id']} {o['segment']})"
                for o in self.replaced.get("overrides_cleared", [])]
        out += [f"{drop} workflow state {s['workflow_id']} ({s['state']})"
                for s in self.replaced.get("workflow_states_deleted", [])]
        out += [f"{drop} golden pin {g['ruleset_id']} ({g['expected_segment']})"
                for g in self.replaced.get("golden_pins_deleted", [])]
        return out
