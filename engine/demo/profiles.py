"""Hospital profile cells as a rep would have filled them in: mostly plausible, some left empty.

The values follow the hospital's hidden traits (grade, size, trajectory), so that the profile
and the purchase history tell the same story; every cell is a CSV string, ``""`` for empty.
"""
from __future__ import annotations

import random

from engine.demo.catalog import CONTACT_TITLES, EXPANSION_NOTES, GIVEN_NAMES, SURNAMES
from engine.demo.hospitals import Hospital, pick_weighted

# The profile fields the generator knows how to fill, in the default hospital form's order.
PROFILE_FIELDS = ("grade", "beds", "annual_outpatients", "development_plan", "expansion_note",
                  "academic_influence", "prescription_openness", "region_growth", "key_contact",
                  "contact_email")
# How often a rep left a field empty.
EMPTY_SHARE = {"beds": 0.08, "annual_outpatients": 0.15, "development_plan": 0.15,
               "academic_influence": 0.18, "prescription_openness": 0.2, "region_growth": 0.1,
               "key_contact": 0.3, "contact_email": 0.55}

PLANS = {
    "growing": (("expanding", 6), ("stable", 3), ("shrinking", 1)),
    "late": (("expanding", 5), ("stable", 4), ("shrinking", 1)),
    "declining": (("expanding", 1), ("stable", 5), ("shrinking", 4)),
    "dormant": (("expanding", 1), ("stable", 5), ("shrinking", 4)),
}
DEFAULT_PLAN = (("expanding", 3), ("stable", 6), ("shrinking", 1))
INFLUENCE = {
    "top": (("national_kol", 60), ("regional_speaker", 35), ("local", 5)),
    "3A": (("national_kol", 10), ("regional_speaker", 50), ("local", 35), ("none", 5)),
    "3B": (("regional_speaker", 20), ("local", 50), ("none", 30)),
    "2A": (("regional_speaker", 10), ("local", 50), ("none", 40)),
}
SMALL_INFLUENCE = (("local", 30), ("none", 70))
OPENNESS = (("open", 35), ("neutral", 40), ("locked", 25))


def fill_profile(rng: random.Random, hospital: Hospital, year: int) -> None:
    """Set ``hospital.profile``; a duplicate spelling gets only what a hurried clerk types."""
    if hospital.alias_of is not None:
        hospital.profile = {"grade": hospital.grade,
                            "beds": str(hospital.beds) if rng.random() < 0.5 else ""}
        return
    values = _true_values(rng, hospital, year)
    hospital.profile = {key: ("" if rng.random() < EMPTY_SHARE.get(key, 0.0) else value)
                        for key, value in values.items()}
    if hospital.profile["development_plan"] != "expanding":
        hospital.profile["expansion_note"] = ""


def _true_values(rng: random.Random, hospital: Hospital, year: int) -> dict[str, str]:
    plan = pick_weighted(rng, PLANS.get(hospital.trajectory, DEFAULT_PLAN))
    influence_key = "top" if hospital.category == "top" else hospital.grade
    growth = hospital.province.growth + rng.gauss(0, 2.5)
    return {
        "grade": hospital.grade,
        "beds": str(hospital.beds),
        "annual_outpatients": str(_outpatients(rng, hospital)),
        "development_plan": plan,
        "expansion_note": _expansion_note(rng, hospital, year) if rng.random() < 0.7 else "",
        "academic_influence": pick_weighted(rng, INFLUENCE.get(influence_key, SMALL_INFLUENCE)),
        "prescription_openness": pick_weighted(rng, OPENNESS),
        "region_growth": f"{growth:.1f}",
        "key_contact": _contact(rng),
        "contact_email": _email(rng, hospital),
    }


def _outpatients(rng: random.Random, hospital: Hospital) -> int:
    if hospital.grade in ("1", "none"):
        return rng.randint(200, 1500) * 100
    return hospital.beds * rng.randint(700, 1500) // 100 * 100


def _expansion_note(rng: random.Random, hospital: Hospital, year: int) -> str:
    template = rng.choice(EXPANSION_NOTES)
    added = max(20, round(hospital.beds * rng.uniform(0.15, 0.5) / 10) * 10)
    return template.format(year=year + rng.randint(0, 2), beds=added, n=rng.randint(3, 12))


def _contact(rng: random.Random) -> str:
    surname, _ = rng.choice(SURNAMES)
    given, _ = rng.choice(GIVEN_NAMES)
    return f"{surname}{given} {rng.choice(CONTACT_TITLES)}"


def _email(rng: random.Random, hospital: Hospital) -> str:
    _, surname = rng.choice(SURNAMES)
    _, given = rng.choice(GIVEN_NAMES)
    return f"{surname}.{given}@{hospital.code.lower()}.example.com"
