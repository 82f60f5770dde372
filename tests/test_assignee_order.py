"""``FewestOpenFirst`` and the assigner's use of it: the same choice as a scan of the candidates by
(open tasks, username), whatever the counts do (engine.tasks.assignees)."""
from __future__ import annotations

import random

from engine.definitions.workflow_specs import Assignee
from engine.tasks.assignees import (FewestOpenFirst, OpenTaskCounts, Staff, StaffMember,
                                    TemplateAssigner)


def _member(number: int, team: str | None) -> StaffMember:
    return StaffMember(number, f"u{(number * 7919) % 101:03d}", "rep", "senior", team, None,
                       True, "en")


def test_the_first_member_follows_raised_and_lowered_counts():
    members = [_member(n, "t") for n in range(1, 40)]
    counts = OpenTaskCounts({m.id: (m.id * 3) % 5 for m in members})
    order, rng = FewestOpenFirst(members, counts), random.Random(5)
    for _ in range(2000):
        first = order.first()
        assert first == min(members, key=lambda m: (counts[m.id], m.username))
        if rng.random() < 0.7:
            counts[first.id] += 1                  # it gets the task
        else:
            counts[rng.choice(members).id] -= 1    # a task of somebody is cancelled
    assert counts.lowered


def test_the_assigner_takes_the_owners_team_first_then_the_pool():
    members = [_member(n, team) for n, team in
               zip(range(1, 13), ["a", "a", "b", None, "", "b", "a", None, "c", "b", "a", "c"])]
    staff, counts, rng = Staff(members), OpenTaskCounts(), random.Random(9)
    assigner = TemplateAssigner(Assignee(role="rep"), staff, counts)
    for _ in range(600):
        owner = rng.choice(members)
        chosen = assigner.resolve(owner.id)
        team = [m for m in members if owner.team and m.team == owner.team] or members
        assert chosen == min(team, key=lambda m: (counts[m.id], m.username))
        counts[chosen.id] += 1
        if rng.random() < 0.3:
            victim = rng.choice(members).id
            if counts[victim]:
                counts[victim] -= 1
