"""Immutable spec objects of a workflow: transitions and task templates."""
from __future__ import annotations

from dataclasses import dataclass

from engine.definitions.specs import LocalText


@dataclass(frozen=True)
class Assignee:
    prefer_owner: bool = False
    role: str | None = None
    min_seniority: str | None = None
    team: str | None = None
    manager_of_owner: bool = False


@dataclass(frozen=True)
class TaskTemplate:
    id: str
    title: LocalText
    kind: str
    assignee: Assignee
    channel: str | None = None
    priority: str | None = None
    due_in_days: int | None = None
    every_days: int | None = None

    @property
    def recurring(self) -> bool:
        return self.every_days is not None


@dataclass(frozen=True)
class TransitionRule:
    sources: tuple[str, ...]     # segment ids, 'unclassified' or '*'
    targets: tuple[str, ...]
    tasks: tuple[str, ...]


@dataclass(frozen=True)
class WorkflowSpec:
    id: str
    title: LocalText
    ruleset: str
    on_enter: tuple[tuple[str, tuple[str, ...]], ...]
    on_transition: tuple[TransitionRule, ...]
    tasks: tuple[TaskTemplate, ...]
    version_id: int | None = None

    def task(self, task_id: str) -> TaskTemplate:
        return next(t for t in self.tasks if t.id == task_id)

    def entered(self, segment: str) -> tuple[str, ...]:
        return dict(self.on_enter).get(segment, ())


def _as_tuple(value) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, list) else (value,)


def _template(task_id: str, spec: dict) -> TaskTemplate:
    rule = spec.get("assignee", {})
    assignee = Assignee(prefer_owner=rule.get("prefer") == "owner", role=rule.get("role"),
                        min_seniority=rule.get("min_seniority"), team=rule.get("team") or None,
                        manager_of_owner=rule.get("manager_of") == "owner")
    return TaskTemplate(task_id, LocalText.of(spec["title"]), spec["kind"], assignee,
                        spec.get("channel"), spec.get("priority"), spec.get("due_in_days"),
                        spec.get("every_days"))


def build_workflow(content: dict, version_id: int | None = None) -> WorkflowSpec:
    return WorkflowSpec(
        id=content["id"], title=LocalText.of(content["title"]), ruleset=content["ruleset"],
        on_enter=tuple((seg, tuple(ids)) for seg, ids in content["on_enter"].items()),
        on_transition=tuple(TransitionRule(_as_tuple(t["from"]), _as_tuple(t["to"]),
                                           tuple(t["tasks"]))
                            for t in content.get("on_transition", [])),
        tasks=tuple(_template(t, s) for t, s in content["tasks"].items()),
        version_id=version_id)
