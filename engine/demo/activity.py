"""Two years of facts: order lines, invoices with their payments, and the reps' visits.

Facts cover the 24 calendar months before ``as_of``'s month and that month up to the day
before ``as_of``. Random draws depend on the month, never on the day of ``as_of``, so running the
demo again later in the same month regenerates the same rows (plus the newer days) under the
same ids: the re-import is a pure upsert.
"""
from __future__ import annotations

import calendar
import datetime as dt
import math
import random
from dataclasses import dataclass, field

from engine.demo.catalog import (
    PRODUCT_LINES,
    PRODUCTS,
    SPECIALTY_LINES,
    VISIT_CHANNELS,
    DemoProduct,
)
from engine.demo.hospitals import Hospital, pick_weighted
from engine.demo.staff import visit_factor

HISTORY_MONTHS = 24
# Chinese New Year in January/February, a year-end push to meet annual budgets.
SEASON = {1: 0.85, 2: 0.7, 3: 1.05, 4: 1.0, 5: 1.0, 6: 1.05, 7: 0.95, 8: 0.95, 9: 1.05,
          10: 0.9, 11: 1.05, 12: 1.2}
ORDER_CHANCE = {"3A": 0.95, "3B": 0.9, "2A": 0.8, "2B": 0.65, "1": 0.45, "none": 0.35}
VISITS_PER_MONTH = {"3A": 3.0, "3B": 2.0, "2A": 1.2, "2B": 0.8, "1": 0.4, "none": 0.3}
LINES_HELD = {"3A": (3, 5), "3B": (2, 4), "2A": (2, 4), "2B": (1, 3), "1": (1, 2), "none": (1, 2)}
ADOPTION = {"open": 0.7, "neutral": 0.4, "locked": 0.15, "": 0.35}
# Mean days to pay by payer habit; big public hospitals are the slowest payers.
PAYERS = {"prompt": 35, "normal": 70, "slow": 130, "very_slow": 210}
PAYER_MIX = {"big": (("prompt", 10), ("normal", 35), ("slow", 40), ("very_slow", 15)),
             "small": (("prompt", 30), ("normal", 45), ("slow", 20), ("very_slow", 5))}
UNPAID_SHARE = 0.03
RETURN_SHARE = 0.004
MISSING_COST_SHARE = 0.01
JOINT_VISIT_SHARE = 0.05
# How much a rep's follow-up moves their customers' purchases over the 24 months: a diligent
# rep's customers end up buying about 15 % more, a lax rep's about 30 % less.
FOLLOW_UP_EFFECT = 0.5


@dataclass
class Facts:
    """Rows of the three fact files, every cell already a CSV string."""

    orders: list[tuple[str, ...]] = field(default_factory=list)
    payments: list[tuple[str, ...]] = field(default_factory=list)
    visits: list[tuple[str, ...]] = field(default_factory=list)


@dataclass
class _Account:
    """What drives one hospital's purchases: its products, adoption dates and payer habit."""

    hospital: Hospital
    products: list[DemoProduct]
    adoption: dict[str, int]
    mean_days_to_pay: int


def yuan(cents: int) -> str:
    """Integer cents as a yuan amount with two decimals."""
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` calendar months earlier, clipped to the month's last day."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def history_months(as_of: dt.date) -> list[dt.date]:
    """First days of the 24 months before ``as_of``'s month, then of that month."""
    first = as_of.replace(day=1)
    return [months_before(first, back) for back in range(HISTORY_MONTHS, -1, -1)]


def make_facts(rng: random.Random, hospitals: list[Hospital], managers: dict[str, str],
               as_of: dt.date) -> Facts:
    """Orders, payments and visits of ``hospitals``; ``managers`` maps a rep to its manager."""
    launches = {p.code: rng.randint(9, 16) for p in PRODUCTS if p.is_new}
    accounts = [_account(rng, h, launches) for h in hospitals if h.alias_of is None]
    facts, counter = Facts(), _Counter()
    for index, month in enumerate(history_months(as_of)):
        for account in accounts:
            lines = _order_lines(rng, account, index, month, counter)
            facts.orders += [line for line in lines if line[2] < as_of.isoformat()]
            facts.payments += _invoices(rng, account, lines, month, as_of, counter)
            facts.visits += _visits(rng, account.hospital, managers, index, month, as_of,
                                    counter)
    return facts


class _Counter:
    """Running numbers for ids, one sequence per id prefix."""

    def __init__(self):
        self.numbers: dict[str, int] = {}

    def next_id(self, prefix: str, day: dt.date) -> str:
        self.numbers[prefix] = self.numbers.get(prefix, 0) + 1
        return f"{prefix}{day:%Y%m}-{self.numbers[prefix]:06d}"


def _account(rng: random.Random, hospital: Hospital, launches: dict[str, int]) -> _Account:
    lines = _lines_bought(hospital)
    low, high = LINES_HELD[hospital.grade]
    held = rng.sample(lines, min(len(lines), rng.randint(low, high)))
    products, adoption = [], {}
    for product in PRODUCTS:
        if product.product_line not in held:
            continue
        if not product.is_new and rng.random() < 0.7:
            products.append(product)
        elif product.is_new and rng.random() < ADOPTION[hospital.profile.get(
                "prescription_openness", "")]:
            products.append(product)
            adoption[product.code] = launches[product.code] + rng.randint(0, 5)
    if not products:
        products.append(next(p for p in PRODUCTS if p.product_line == held[0] and not p.is_new))
    size = "big" if hospital.grade in ("3A", "3B") else "small"
    return _Account(hospital, products, adoption, PAYERS[pick_weighted(rng, PAYER_MIX[size])])


def _lines_bought(hospital: Hospital) -> tuple[str, ...]:
    """The product lines a hospital has use for: all of them unless it is a specialist."""
    for fragment, lines in SPECIALTY_LINES:
        if fragment in hospital.name:
            return lines
    return PRODUCT_LINES


def _activity(hospital: Hospital, index: int) -> float:
    """How much of its usual volume a hospital buys in month ``index`` (0 is the oldest)."""
    share = index / HISTORY_MONTHS
    kind, turn = hospital.trajectory, hospital.turn
    if kind == "growing":
        return 0.45 + 1.2 * share
    if kind == "declining":
        return 1.5 - 1.1 * share
    if kind == "dormant":
        return 1.0 if index < turn else 0.0
    if kind == "late":
        return 0.0 if index < turn else min(1.0, 0.3 + 0.15 * (index - turn))
    if kind == "prospect":
        return 0.0
    return 1.0


def _order_lines(rng: random.Random, account: _Account, index: int, month: dt.date,
                 counter: _Counter) -> list[tuple[str, ...]]:
    hospital = account.hospital
    activity = _activity(hospital, index) * SEASON[month.month]
    if activity == 0 or rng.random() > ORDER_CHANCE[hospital.grade]:
        return []
    available = [p for p in account.products if account.adoption.get(p.code, 0) <= index]
    if not available:  # it buys only new products, not launched yet
        return []
    chosen = rng.sample(available, rng.randint(1, min(len(available), 4)))
    shares = [rng.random() + 0.3 for _ in chosen]
    budget = (hospital.monthly_cents * activity * _follow_up(hospital, index)
              * math.exp(rng.gauss(0, 0.25)))
    days = calendar.monthrange(month.year, month.month)[1]
    rows = []
    for product, share in zip(chosen, shares):
        day = month.replace(day=rng.randint(1, days))
        booked = _booked_code(rng, hospital)
        quantity = max(1, round(budget * share / sum(shares) / product.price_cents))
        rows.append(_order_row(rng, counter, "SO", booked, day, product, quantity))
        if rng.random() < RETURN_SHARE:
            back = min(day + dt.timedelta(days=rng.randint(3, 20)), month.replace(day=days))
            returned = -rng.randint(1, quantity)
            rows.append(_order_row(rng, counter, "RT", booked, back, product, returned))
    return rows


def _follow_up(hospital: Hospital, index: int) -> float:
    """The owner's follow-up effect on purchases by month ``index`` (1.0 at the start)."""
    return 1.0 + FOLLOW_UP_EFFECT * (visit_factor(hospital.owner) - 1.0) * index / HISTORY_MONTHS


def _booked_code(rng: random.Random, hospital: Hospital) -> str:
    """Orders of a hospital with a second spelling are sometimes booked under that one."""
    if hospital.aliases and rng.random() < 0.25:
        return rng.choice(hospital.aliases).code
    return hospital.code


def _order_row(rng: random.Random, counter: _Counter, prefix: str, code: str, day: dt.date,
               product: DemoProduct, quantity: int) -> tuple[str, ...]:
    amount = quantity * product.price_cents
    cost = round(amount * product.cost_ratio * rng.uniform(0.95, 1.05))
    cost_cell = "" if rng.random() < MISSING_COST_SHARE else yuan(cost)
    return (counter.next_id(prefix, day), code, day.isoformat(), product.code, str(quantity),
            yuan(amount), cost_cell)


def _invoices(rng: random.Random, account: _Account, lines: list[tuple[str, ...]],
              month: dt.date, as_of: dt.date, counter: _Counter) -> list[tuple[str, ...]]:
    """One invoice per booked code and month, issued after the month's last delivery."""
    rows = []
    for code in sorted({line[1] for line in lines}):
        booked = [line for line in lines if line[1] == code]
        total = sum(_cents(line[5]) for line in booked)
        issued = dt.date.fromisoformat(max(line[2] for line in booked))
        issued += dt.timedelta(days=rng.randint(0, 5))
        days = max(7, round(rng.gauss(account.mean_days_to_pay,
                                      account.mean_days_to_pay * 0.3)))
        paid = issued + dt.timedelta(days=days)
        disputed = rng.random() < UNPAID_SHARE
        invoice_id = counter.next_id("INV", month)
        if total <= 0 or issued >= as_of:
            continue
        paid_cell = "" if disputed or paid >= as_of else paid.isoformat()
        rows.append((invoice_id, code, issued.isoformat(), yuan(total), paid_cell))
    return rows


def _cents(amount: str) -> int:
    whole, _, fraction = amount.lstrip("-").partition(".")
    cents = int(whole) * 100 + int(fraction or 0)
    return -cents if amount.startswith("-") else cents


def _visits(rng: random.Random, hospital: Hospital, managers: dict[str, str], index: int,
            month: dt.date, as_of: dt.date, counter: _Counter) -> list[tuple[str, ...]]:
    rate = (VISITS_PER_MONTH[hospital.grade] * _visit_effort(hospital, index)
            * visit_factor(hospital.owner))
    days = calendar.monthrange(month.year, month.month)[1]
    rows = []
    for _ in range(_poisson(rng, rate)):
        day = _weekday(month.replace(day=rng.randint(1, days)))
        joint = rng.random() < JOINT_VISIT_SHARE
        rep = managers.get(hospital.owner, hospital.owner) if joint else hospital.owner
        channel = pick_weighted(rng, VISIT_CHANNELS)
        visit_id = counter.next_id("VS", month)
        if day < as_of:
            rows.append((visit_id, hospital.code, rep, day.isoformat(), channel))
    return rows


def _visit_effort(hospital: Hospital, index: int) -> float:
    """Reps court prospects and late starters, and give up slowly on dormant customers."""
    activity = _activity(hospital, index)
    if activity > 0:
        return min(1.3, max(0.6, activity))
    return 0.25 if hospital.trajectory == "dormant" else 0.7


def _weekday(day: dt.date) -> dt.date:
    """Saturday visits move to Friday, Sunday ones to Monday (staying in the month)."""
    if day.weekday() == 5:
        return day - dt.timedelta(days=1)
    if day.weekday() == 6:
        moved = day + dt.timedelta(days=1)
        return moved if moved.month == day.month else day - dt.timedelta(days=2)
    return day


def _poisson(rng: random.Random, rate: float) -> int:
    """A Poisson-distributed count (Knuth's method; rates here are small)."""
    limit, count, product = math.exp(-rate), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count
