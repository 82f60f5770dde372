"""The demo sales organisation: a director, a manager and reps per region, a marketing team.

Every region that has customers gets a team named after it, with one manager and enough reps for
about fourteen hospitals each (at least one of them senior, so that tasks for senior reps find
someone in the team); the biggest accounts go to the most senior reps. One rep has left the
company: inactive, owning nothing.

Reps differ in how well they follow the follow-up SOP (``sop_habit``): some visit more than
planned and close their tasks, some about as planned, some far less — so that the compliance
and conversion reports have something a manager would recognise. A rep's habit is a function
of their username, so drawing it does not change any other generated value.
"""
from __future__ import annotations

import random
import zlib
from dataclasses import dataclass

from engine.demo.catalog import GIVEN_NAMES, SURNAMES
from engine.demo.hospitals import Hospital, pick_weighted
from engine.demo.places import REGIONS

MARKETING_TEAM = "marketing"
CUSTOMERS_PER_REP = 14
REP_SENIORITY = (("senior", 25), ("regular", 45), ("junior", 30))
NAME_ATTEMPTS = 20
SENIORITY_RANK = {"junior": 0, "regular": 1, "senior": 2}
# Visits made relative to the plan, and the share of tasks closed, by SOP habit.
SOP_HABITS = {"diligent": (1.3, 0.92), "average": (0.95, 0.65), "lax": (0.45, 0.25)}


def sop_habit(username: str) -> str:
    """How well ``username`` follows the SOP: diligent, average or lax (a third each)."""
    return tuple(SOP_HABITS)[zlib.crc32(username.encode("utf-8")) % len(SOP_HABITS)]


def visit_factor(username: str | None) -> float:
    return SOP_HABITS[sop_habit(username)][0] if username else 1.0


def task_completion_share(username: str | None) -> float:
    return SOP_HABITS[sop_habit(username)][1] if username else 0.0


@dataclass(frozen=True)
class DemoUser:
    username: str
    name: str
    role: str
    seniority: str
    team: str
    manager: str
    active: bool = True

    @property
    def email(self) -> str:
        return f"{self.username}@example.com"


class _Names:
    """Distinct Chinese names with pinyin usernames, drawn from one generator."""

    def __init__(self, rng: random.Random):
        self.rng, self.taken = rng, set()

    def draw(self) -> tuple[str, str]:
        """A name not drawn before while there are plenty left (then namesakes, as in life),
        and a username made unique with a number."""
        for _ in range(NAME_ATTEMPTS):
            surname, surname_py = self.rng.choice(SURNAMES)
            given, given_py = self.rng.choice(GIVEN_NAMES)
            if surname + given not in self.taken:
                break
        name, username = surname + given, surname_py + given_py
        base, suffix = username, 2
        while username in self.taken or username == "admin":
            username, suffix = f"{base}{suffix}", suffix + 1
        self.taken.update((name, username))
        return name, username


def make_staff(rng: random.Random, hospitals: list[Hospital]) -> list[DemoUser]:
    """The users, managers before the people they manage; sets every hospital's owner."""
    names = _Names(rng)
    director = _user(names, "manager", "senior", "", "")
    users = [director]
    teams = [region for region in REGIONS
             if any(h.province.team == region for h in hospitals)]
    for region in teams:
        users += _region_team(rng, names, region, director.username, hospitals,
                              with_leaver=region == teams[0])
    marketing_head = _user(names, "manager", "senior", MARKETING_TEAM, director.username)
    users.append(marketing_head)
    users += [_user(names, "staff", seniority, MARKETING_TEAM, marketing_head.username)
              for seniority in ("senior", "regular", "junior")]
    return users


def _user(names: _Names, role: str, seniority: str, team: str, manager: str,
          active: bool = True) -> DemoUser:
    name, username = names.draw()
    return DemoUser(username, name, role, seniority, team, manager, active)


def _region_team(rng: random.Random, names: _Names, region: str, director: str,
                 hospitals: list[Hospital], with_leaver: bool) -> list[DemoUser]:
    accounts = [h for h in hospitals if h.province.team == region]
    manager = _user(names, "manager", "senior", region, director)
    count = max(2, round(len(accounts) / CUSTOMERS_PER_REP))
    seniorities = ["senior"] + [pick_weighted(rng, REP_SENIORITY) for _ in range(count - 1)]
    reps = [_user(names, "rep", s, region, manager.username) for s in seniorities]
    _assign_owners(rng, accounts, reps)
    team = [manager, *reps]
    if with_leaver:
        team.append(_user(names, "rep", "regular", region, manager.username, active=False))
    return team


def _assign_owners(rng: random.Random, accounts: list[Hospital], reps: list[DemoUser]) -> None:
    """Biggest accounts to the most senior reps, dealt out in snake order; a duplicate
    spelling was usually created by a colleague, so it goes to another rep of the team."""
    ordered = sorted(reps, key=lambda r: (-SENIORITY_RANK[r.seniority], r.username))
    originals = sorted((h for h in accounts if h.alias_of is None),
                       key=lambda h: (-h.monthly_cents, h.code))
    for index, hospital in enumerate(originals):
        lap, place = divmod(index, len(ordered))
        hospital.owner = ordered[place if lap % 2 == 0 else -1 - place].username
    for hospital in accounts:
        if hospital.alias_of is not None:
            colleagues = [r.username for r in ordered if r.username != hospital.alias_of.owner]
            hospital.owner = rng.choice(colleagues)
