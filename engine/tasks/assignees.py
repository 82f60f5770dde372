"""Who gets a task: SPEC §3.4 "Assignee", with open-task counts kept in memory during a run.

Conditions of a template's ``assignee`` are small functions registered by name; a candidate must
meet every condition the template sets. Ties are broken by username in code-point order (Python
compares ``str`` by code point), never by the database's collation.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from heapq import heapify, heappop, heappush, heapreplace
from typing import Callable, Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.definitions.workflow_specs import Assignee
from engine.models import SENIORITIES, Task, User

OPEN_STATUSES = ("open", "in_progress")
SENIORITY_RANK = {name: rank for rank, name in enumerate(SENIORITIES)}


@dataclass(frozen=True)
class StaffMember:
    """The attributes of a user that assignment and notification read."""

    id: int
    username: str
    role: str
    seniority: str | None
    team: str | None
    manager_id: int | None
    active: bool
    locale: str


Condition = Callable[[Assignee, StaffMember, "StaffMember | None"], bool]
CONDITIONS: dict[str, Condition] = {}


def condition(name: str):
    """Register an assignee condition under ``name`` (the ``assignee`` key it implements)."""

    def register(function: Condition) -> Condition:
        CONDITIONS[name] = function
        return function

    return register


def lookup_condition(name: str) -> Condition:
    """The registered condition ``name``; an unknown name is an error listing the known ones."""
    try:
        return CONDITIONS[name]
    except KeyError:
        raise LookupError(f"unknown assignee condition {name!r}; known: "
                          f"{', '.join(sorted(CONDITIONS))}") from None


@condition("role")
def _has_role(rule: Assignee, member: StaffMember, _owner) -> bool:
    return member.role == rule.role


@condition("min_seniority")
def _is_senior_enough(rule: Assignee, member: StaffMember, _owner) -> bool:
    rank = SENIORITY_RANK.get(member.seniority or "")
    return rank is not None and rank >= SENIORITY_RANK[rule.min_seniority]


@condition("team")
def _in_team(rule: Assignee, member: StaffMember, _owner) -> bool:
    return member.team == rule.team


@condition("manager_of")
def _manages_owner(_rule: Assignee, member: StaffMember, owner: StaffMember | None) -> bool:
    return owner is not None and owner.manager_id == member.id


def conditions_of(rule: Assignee) -> tuple[str, ...]:
    """The names of the conditions ``rule`` sets (``prefer`` is a preference, not a condition)."""
    names = []
    if rule.role:
        names.append("role")
    if rule.min_seniority:
        names.append("min_seniority")
    if rule.team:
        names.append("team")
    if rule.manager_of_owner:
        names.append("manager_of")
    return tuple(names)


class Staff:
    """Every user, by id, with the active ones in username order."""

    def __init__(self, members: Iterable[StaffMember]):
        self.by_id = {m.id: m for m in members}
        self.active = sorted((m for m in self.by_id.values() if m.active),
                             key=lambda m: m.username)

    @classmethod
    def load(cls, session: Session) -> "Staff":
        rows = session.execute(select(User.id, User.username, User.role, User.seniority,
                                      User.team, User.manager_id, User.active, User.locale))
        return cls(StaffMember(r.id, r.username, r.role, r.seniority, r.team or None,
                               r.manager_id, bool(r.active), r.locale) for r in rows)

    def get(self, user_id: int | None) -> StaffMember | None:
        return None if user_id is None else self.by_id.get(user_id)


class OpenTaskCounts(Counter):
    """Open or in-progress tasks per assignee id, over every workflow; ``lowered`` logs the
    ids whose count went down, for the ``FewestOpenFirst`` orders to catch up with."""

    def __init__(self, *args, **kwargs):
        self.lowered: list[int] = []
        super().__init__(*args, **kwargs)

    def __setitem__(self, key, value) -> None:
        if value < self.get(key, 0):
            self.lowered.append(key)
        super().__setitem__(key, value)

    @classmethod
    def load(cls, session: Session) -> "OpenTaskCounts":
        rows = session.execute(select(Task.assignee_id, func.count())
                               .where(Task.status.in_(OPEN_STATUSES),
                                      Task.assignee_id.is_not(None))
                               .group_by(Task.assignee_id))
        return cls({assignee: count for assignee, count in rows})


class FewestOpenFirst:
    """Candidates by (open tasks, username), the first one in O(log n) rather than a scan.

    A heap of (count, username, id) entries, corrected lazily: an entry whose count is no longer
    the member's is replaced when it comes to the top. Every member keeps an entry at most its
    true key (a raised count leaves the lower entry; a lowered one, seen in ``lowered``, gets a
    new entry), so the first entry whose count is current is the true minimum.
    """

    def __init__(self, members: list[StaffMember], counts: OpenTaskCounts):
        self.counts = counts
        self.by_id = {m.id: m for m in members}
        self.heap = [(counts[m.id], m.username, m.id) for m in members]
        heapify(self.heap)
        self.seen = len(counts.lowered)

    def first(self) -> StaffMember:
        counts, heap = self.counts, self.heap
        if self.seen < len(counts.lowered):
            for member_id in counts.lowered[self.seen:]:
                member = self.by_id.get(member_id)
                if member is not None:
                    heappush(heap, (counts[member_id], member.username, member_id))
            self.seen = len(counts.lowered)
        while True:
            count, username, member_id = heap[0]
            current = counts[member_id]
            if count == current:
                return self.by_id[member_id]
            if count < current:
                heapreplace(heap, (current, username, member_id))
            else:
                heappop(heap)


class TemplateAssigner:
    """Resolves one template's ``assignee`` rule for any customer owner."""

    def __init__(self, rule: Assignee, staff: Staff, counts: OpenTaskCounts):
        self.rule, self.staff, self.counts = rule, staff, counts
        self.owner_only = not conditions_of(rule)
        self.needs_owner_context = rule.manager_of_owner
        checks = [lookup_condition(n) for n in conditions_of(rule) if n != "manager_of"]
        # Owner-independent conditions are checked once per run, not once per task.
        self.pool = [m for m in staff.active if all(check(rule, m, None) for check in checks)]
        self.pool_ids = {m.id for m in self.pool}
        self.pool_by_team: dict[str | None, list[StaffMember]] = {}
        for member in self.pool:
            self.pool_by_team.setdefault(member.team, []).append(member)
        # The pool and each team of it in (open tasks, username) order, made when first used.
        self.orders: dict[tuple[bool, str | None], FewestOpenFirst] = {}

    def resolve(self, owner_id: int | None) -> StaffMember | None:
        """The assignee for a customer owned by ``owner_id``, or None (unassigned)."""
        owner = self.staff.get(owner_id)
        if self.owner_only:
            return owner if owner is not None and owner.active else None
        candidates, ids, by_team = self._candidates(owner)
        if not candidates:
            return None
        if self.rule.prefer_owner and owner is not None and owner.id in ids:
            return owner
        if not self.needs_owner_context and isinstance(self.counts, OpenTaskCounts):
            return self._fewest_open(owner)
        if owner is not None and owner.team:
            candidates = by_team.get(owner.team) or candidates
        return min(candidates, key=self._load_then_name)

    def _fewest_open(self, owner: StaffMember | None) -> StaffMember:
        """The pool's member with the fewest open tasks, from the owner's team if it has any."""
        in_team = owner is not None and bool(owner.team) and owner.team in self.pool_by_team
        key = (in_team, owner.team if in_team else None)
        order = self.orders.get(key)
        if order is None:
            members = self.pool_by_team[owner.team] if in_team else self.pool
            order = self.orders[key] = FewestOpenFirst(members, self.counts)
        return order.first()

    def _candidates(self, owner: StaffMember | None):
        """(candidates in username order, their ids, them by team) for this owner."""
        if not self.needs_owner_context:
            return self.pool, self.pool_ids, self.pool_by_team
        manager = self.staff.get(owner.manager_id) if owner is not None else None
        if manager is None or manager.id not in self.pool_ids:
            return [], set(), {}
        return [manager], {manager.id}, {manager.team: [manager]}

    def _load_then_name(self, member: StaffMember) -> tuple[int, str]:
        return self.counts[member.id], member.username
