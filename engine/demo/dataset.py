"""A complete demo data set and the SPEC §6 CSV files it is written to."""
from __future__ import annotations

import csv
import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path

from engine.demo.activity import Facts, make_facts
from engine.demo.catalog import PRODUCTS
from engine.demo.hospitals import Hospital, make_hospitals
from engine.demo.profiles import PROFILE_FIELDS, fill_profile
from engine.demo.staff import DemoUser, make_staff

CUSTOMER_TYPE = "hospital"
DEFAULT_CUSTOMERS = 300
DEFAULT_SEED = 1
# The import order: every file refers only to rows of the files before it.
IMPORT_ORDER = ("users", "products", "customers", "orders", "payments", "visits")
HEADERS = {
    "users": ("username", "name", "role", "seniority", "team", "manager", "email", "active"),
    "products": ("code", "name", "product_line", "is_new"),
    "customers": ("code", "name", "type", "parent", "region", "city", "owner", "status"),
    "orders": ("order_id", "customer", "date", "product_code", "quantity", "amount", "cost"),
    "payments": ("invoice_id", "customer", "invoice_date", "amount", "paid_date"),
    "visits": ("visit_id", "customer", "rep", "date", "channel"),
}


@dataclass(frozen=True)
class DemoDataset:
    """Everything the demo imports, generated from one seed as of one date."""

    seed: int
    as_of: dt.date
    users: tuple[DemoUser, ...]
    hospitals: tuple[Hospital, ...]
    facts: Facts

    def duplicate_pairs(self) -> list[tuple[str, str]]:
        """(original code, duplicate code) of the hospitals entered twice."""
        return [(h.alias_of.code, h.code) for h in self.hospitals if h.alias_of is not None]

    def rows(self, kind: str, profile_fields=PROFILE_FIELDS) -> list[tuple[str, ...]]:
        """The rows of one file, in file order, without the header."""
        if kind == "users":
            return [(u.username, u.name, u.role, u.seniority, u.team, u.manager, u.email,
                     "true" if u.active else "false") for u in self.users]
        if kind == "products":
            return [(p.code, p.name, p.product_line, "true" if p.is_new else "false")
                    for p in PRODUCTS]
        if kind == "customers":
            return [_customer_row(h, profile_fields) for h in self.hospitals]
        return list(getattr(self.facts, kind))


def generate(customers: int = DEFAULT_CUSTOMERS, seed: int = DEFAULT_SEED, *,
             as_of: dt.date) -> DemoDataset:
    """The demo data set: a pure function of ``customers``, ``seed`` and ``as_of``."""
    if customers < 1:
        raise ValueError(f"customers must be at least 1, not {customers}")
    rng = random.Random(seed)
    hospitals = make_hospitals(rng, customers)
    for hospital in hospitals:
        fill_profile(rng, hospital, as_of.year)
    users = make_staff(rng, hospitals)
    managers = {u.username: u.manager for u in users if u.manager}
    facts = make_facts(rng, hospitals, managers, as_of)
    return DemoDataset(seed, as_of, tuple(users), tuple(hospitals), facts)


def write_files(dataset: DemoDataset, folder: Path,
                profile_fields=PROFILE_FIELDS) -> dict[str, Path]:
    """Write ``<kind>.csv`` for every kind into ``folder`` (RFC 4180, UTF-8); kind → path.

    ``profile_fields`` are the customer profile columns to write: the demo passes the fields
    of the published hospital form, so that a changed form still imports.
    """
    folder.mkdir(parents=True, exist_ok=True)
    fields = [key for key in PROFILE_FIELDS if key in profile_fields]
    paths = {}
    for kind in IMPORT_ORDER:
        header = HEADERS[kind] + (tuple(fields) if kind == "customers" else ())
        paths[kind] = folder / f"{kind}.csv"
        with paths[kind].open("w", encoding="utf-8", newline="") as stream:
            writer = csv.writer(stream)
            writer.writerow(header)
            writer.writerows(dataset.rows(kind, fields))
    return paths


def _customer_row(hospital: Hospital, profile_fields) -> tuple[str, ...]:
    core = (hospital.code, hospital.name, CUSTOMER_TYPE, "", hospital.province.name,
            hospital.city, hospital.owner, hospital.status)
    return core + tuple(hospital.profile.get(key, "") for key in profile_fields)
