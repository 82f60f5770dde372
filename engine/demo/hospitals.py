"""Demo hospitals: a realistic mix of provincial, university, city, county and community ones.

Every possible name is put in a pool with a weight (big cities and top hospitals are more likely
to be customers); the sample is drawn without replacement with Efraimidis–Spirakis keys, so it is
a pure function of the random generator. A few customers are the same hospital entered a second
time under another spelling, as happens when two ERP branches keep their own master data.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from engine.demo.places import PROVINCES, Province

# (template, category, weight); {p} the province, {c} the city, {k} the county.
PROVINCE_TEMPLATES = (("{p}人民医院", "top", 1.0), ("{p}中医院", "top", 0.6),
                      ("{p}肿瘤医院", "top", 0.5), ("{p}妇幼保健院", "top", 0.4))
CITY_TEMPLATES = (
    ("{c}第一人民医院", "city_main", 1.0), ("{c}中心医院", "city_main", 0.9),
    ("{c}人民医院", "city_main", 0.6), ("{c}第二人民医院", "city_second", 0.8),
    ("{c}第三人民医院", "city_second", 0.6), ("{c}中医院", "city_second", 0.8),
    ("{c}妇幼保健院", "city_second", 0.5), ("{c}口腔医院", "city_special", 0.3),
    ("{c}眼科医院", "city_special", 0.3), ("{c}康复医院", "city_special", 0.3),
    ("{c}精神卫生中心", "city_special", 0.25), ("{c}传染病医院", "city_special", 0.25),
)
COUNTY_TEMPLATES = (("{k}人民医院", "county", 0.9), ("{k}中医院", "county_minor", 0.5),
                    ("{k}妇幼保健院", "county_minor", 0.3))
STREETS = ("城关街道", "城东街道", "城西街道", "城南街道", "城北街道")
COMMUNITY_WEIGHT = 0.12

GRADES = {  # category → (grade, probability)
    "top": (("3A", 1.0),),
    "city_main": (("3A", 0.75), ("3B", 0.25)),
    "city_second": (("3A", 0.3), ("3B", 0.45), ("2A", 0.25)),
    "city_special": (("3B", 0.35), ("2A", 0.5), ("2B", 0.15)),
    "county": (("3B", 0.3), ("2A", 0.55), ("2B", 0.15)),
    "county_minor": (("2A", 0.5), ("2B", 0.4), ("1", 0.1)),
    "community": (("1", 0.65), ("none", 0.35)),
}
BEDS = {"3A": (900, 3200), "3B": (500, 1200), "2A": (250, 800), "2B": (100, 400),
        "1": (20, 120), "none": (0, 60)}
# Dormant customers that have closed or merged into another hospital: status inactive.
CLOSED_SHARE = 0.25
# Purchases per bed relative to a general hospital: top hospitals treat the hardest cases.
SPEND_FACTOR = {"top": 1.4, "city_special": 0.5, "community": 0.6}
# How customers' purchases develop over the 24 months, and how often each happens.
TRAJECTORIES = (("steady", 36), ("growing", 20), ("declining", 14), ("dormant", 12),
                ("late", 13), ("prospect", 5))


@dataclass(frozen=True)
class PoolEntry:
    """A hospital that could be a customer; ``prefix`` is the place name its name starts with."""

    name: str
    prefix: str
    city: str
    category: str
    province: Province
    weight: float


@dataclass(eq=False)
class Hospital:
    """A demo customer and the hidden traits that drive its facts."""

    code: str
    name: str
    province: Province
    city: str
    category: str
    grade: str
    beds: int
    monthly_cents: int
    trajectory: str
    turn: int = 0
    prefix: str = ""
    status: str = "active"
    owner: str = ""
    alias_of: Hospital | None = None
    aliases: list[Hospital] = field(default_factory=list)
    profile: dict[str, str] = field(default_factory=dict)


def hospital_pool(minimum: int) -> list[PoolEntry]:
    """Every candidate name, in a fixed order; numbered community centres pad it to ``minimum``."""
    pool: list[PoolEntry] = []
    for province in PROVINCES:
        pool.extend(_province_entries(province))
    number = 1
    while len(pool) < minimum:
        for province in PROVINCES:
            city = province.cities[number % len(province.cities)].name
            pool.append(PoolEntry(f"{city}第{number}社区卫生服务站", city, city, "community",
                                  province, COMMUNITY_WEIGHT / 4))
        number += 1
    return pool


def _province_entries(province: Province) -> list[PoolEntry]:
    weight, entries = province.weight, []
    if not province.municipality:
        entries += [PoolEntry(t.format(p=province.name), province.name, province.capital, cat,
                              province, w * weight) for t, cat, w in PROVINCE_TEMPLATES]
    for university in province.universities:
        entries += [PoolEntry(university.prefix + suffix, university.prefix, university.city,
                              "top", province, 0.9 * weight) for suffix in university.suffixes]
    for city in province.cities:
        entries += [PoolEntry(t.format(c=city.name), city.name, city.name, cat, province,
                              w * weight) for t, cat, w in CITY_TEMPLATES]
        for county in city.counties:
            place = city.name + county if province.municipality else county
            entries += [PoolEntry(t.format(k=place), place, city.name, cat, province, w * weight)
                        for t, cat, w in COUNTY_TEMPLATES]
            entries += [PoolEntry(f"{place}{street}社区卫生服务中心", place, city.name, "community",
                                  province, COMMUNITY_WEIGHT * weight) for street in STREETS]
    return entries


def sample_pool(rng: random.Random, pool: list[PoolEntry], count: int) -> list[PoolEntry]:
    """``count`` entries drawn without replacement, each with probability by weight."""
    keyed = [(rng.random() ** (1.0 / entry.weight), index) for index, entry in enumerate(pool)]
    chosen = sorted(keyed, reverse=True)[:count]
    return [pool[index] for _, index in sorted(chosen, key=lambda pair: pair[1])]


def pick_weighted(rng: random.Random, choices) -> str:
    """One value of ``(value, weight)`` pairs."""
    values, weights = zip(*choices)
    return rng.choices(values, weights=weights)[0]


def make_hospitals(rng: random.Random, count: int) -> list[Hospital]:
    """``count`` hospitals with codes, grades, size and trajectory (no profiles or owners yet)."""
    duplicates = duplicate_count(count)
    entries = sample_pool(rng, hospital_pool(count), count - duplicates)
    sequence: dict[str, int] = {}
    hospitals = [_hospital(rng, entry, _next_code(sequence, entry.province)) for entry in entries]
    for variant, original in zip(range(duplicates), _duplicate_originals(rng, hospitals,
                                                                        duplicates)):
        hospitals.append(_duplicate(original, _next_code(sequence, original.province), variant))
    return sorted(hospitals, key=lambda h: h.code)


def duplicate_count(count: int) -> int:
    """How many of ``count`` customers are a second spelling of another: about 2 %, at least 3."""
    return min(max(3, count // 50), count // 5)


def _next_code(sequence: dict[str, int], province: Province) -> str:
    sequence[province.code] = sequence.get(province.code, 0) + 1
    return f"H{province.code}{sequence[province.code]:04d}"


def _hospital(rng: random.Random, entry: PoolEntry, code: str) -> Hospital:
    grade = pick_weighted(rng, GRADES[entry.category])
    low, high = BEDS[grade]
    beds = rng.randint(low, high) * (14 if entry.category == "top" else 10) // 10
    per_bed_yuan = math.exp(rng.gauss(math.log(80), 0.4)) * SPEND_FACTOR.get(entry.category, 1)
    monthly_cents = max(80_000, round(max(beds, 10) * per_bed_yuan * 100))
    trajectory = pick_weighted(rng, TRAJECTORIES)
    turn = rng.randint(6, 18)  # the month a dormant customer stops or a late one starts
    closed = trajectory == "dormant" and rng.random() < CLOSED_SHARE
    return Hospital(code, entry.name, entry.province, entry.city, entry.category, grade, beds,
                    monthly_cents, trajectory, turn, entry.prefix,
                    status="inactive" if closed else "active")


def _duplicate_originals(rng: random.Random, hospitals: list[Hospital], count: int):
    """Originals for the duplicate spellings, hospitals named after their city first."""
    by_city = [h for h in hospitals
               if h.prefix == h.city and h.trajectory not in ("prospect", "dormant")]
    taken = {h.code for h in by_city}
    others = [h for h in hospitals if h.code not in taken]
    return (rng.sample(by_city, min(count, len(by_city)))
            + rng.sample(others, max(0, min(count - len(by_city), len(others)))))


def variant_spelling(name: str, prefix: str, variant: int) -> str:
    """Another way a clerk writes ``name``: a full-width space, 市 dropped, or traditional 醫."""
    rest = name[len(prefix):]
    kind = variant % 3
    if kind == 1 and prefix.endswith("市") and len(prefix) > 2:
        return prefix[:-1] + rest
    if kind == 2 and "医" in name:
        return name.replace("医", "醫")
    return f"{prefix}\u3000{rest}"


def _duplicate(original: Hospital, code: str, variant: int) -> Hospital:
    twin = Hospital(code, variant_spelling(original.name, original.prefix, variant),
                    original.province, original.city, original.category, original.grade,
                    original.beds, 0, original.trajectory, original.turn, original.prefix,
                    alias_of=original)
    original.aliases.append(twin)
    return twin
