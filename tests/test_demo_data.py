"""The demo data generator: deterministic for a seed, and data that looks like a real company's."""
from __future__ import annotations

import csv
import datetime as dt
import random
from collections import Counter, defaultdict

import pytest

from engine.demo.dataset import HEADERS, IMPORT_ORDER, generate, write_files
from engine.demo.hospitals import hospital_pool, make_hospitals
from engine.demo.places import PROVINCES
from engine.demo.profiles import PROFILE_FIELDS
from engine.demo.staff import make_staff

AS_OF = dt.date(2025, 6, 15)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """The default-size data set as CSV files, read back as lists of dicts per kind."""
    folder = tmp_path_factory.mktemp("demo")
    paths = write_files(generate(300, 1, as_of=AS_OF), folder)
    tables = {}
    for kind, path in paths.items():
        with path.open(encoding="utf-8", newline="") as stream:
            tables[kind] = list(csv.DictReader(stream))
    return tables


def _bytes(folder):
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def test_same_seed_gives_identical_files(tmp_path):
    write_files(generate(60, 7, as_of=AS_OF), tmp_path / "a")
    write_files(generate(60, 7, as_of=AS_OF), tmp_path / "b")
    first = _bytes(tmp_path / "a")
    assert sorted(first) == sorted(f"{kind}.csv" for kind in IMPORT_ORDER)
    assert first == _bytes(tmp_path / "b")


def test_another_seed_gives_other_data(tmp_path):
    write_files(generate(60, 7, as_of=AS_OF), tmp_path / "a")
    write_files(generate(60, 8, as_of=AS_OF), tmp_path / "b")
    first, second = _bytes(tmp_path / "a"), _bytes(tmp_path / "b")
    for name in ("users.csv", "customers.csv", "orders.csv", "payments.csv", "visits.csv"):
        assert first[name] != second[name], name


def test_global_random_state_is_left_alone():
    random.seed(5)
    expected = random.random()
    random.seed(5)
    generate(20, 3, as_of=AS_OF)
    assert random.random() == expected


def test_later_in_the_same_month_only_adds_rows():
    """A second demo run later in the month re-imports the same ids with the same values,
    except that some invoices have been paid since."""
    early = generate(40, 2, as_of=dt.date(2025, 6, 10))
    late = generate(40, 2, as_of=dt.date(2025, 6, 28))
    for kind in IMPORT_ORDER:
        later = {row[0]: row for row in late.rows(kind)}
        for row in early.rows(kind):
            if kind == "payments" and row[-1] == "":
                assert later[row[0]][:-1] == row[:-1]
            else:
                assert later[row[0]] == row
    assert len(late.rows("orders")) > len(early.rows("orders"))
    assert any(not row[-1] for row in early.rows("payments"))


def test_files_have_the_spec_headers(files):
    for kind in IMPORT_ORDER:
        expected = list(HEADERS[kind]) + (list(PROFILE_FIELDS) if kind == "customers" else [])
        assert list(files[kind][0]) == expected, kind


def test_only_the_profile_fields_asked_for_are_written(tmp_path):
    paths = write_files(generate(10, 1, as_of=AS_OF), tmp_path, profile_fields={"beds", "grade"})
    header = paths["customers"].read_text(encoding="utf-8").splitlines()[0]
    assert header == "code,name,type,parent,region,city,owner,status,grade,beds"


@pytest.mark.parametrize("count", [1, 4, 40, 300])
def test_customer_count_is_as_asked(count):
    dataset = generate(count, 11, as_of=AS_OF)
    codes = [row[0] for row in dataset.rows("customers")]
    assert len(codes) == len(set(codes)) == count


def test_pool_grows_for_large_companies():
    pool = hospital_pool(5000)
    assert len(pool) >= 5000
    assert len({entry.name for entry in pool}) == len(pool)
    hospitals = make_hospitals(random.Random(1), 3000)
    originals = [h.name for h in hospitals if h.alias_of is None]
    assert len(hospitals) == 3000 and len(set(originals)) == len(originals)
    users = make_staff(random.Random(1), hospitals)
    assert len({u.username for u in users}) == len(users) > 200


def test_every_id_is_unique(files):
    for kind in IMPORT_ORDER:
        ids = [row[HEADERS[kind][0]] for row in files[kind]]
        assert len(ids) == len(set(ids)), kind


def test_customers_are_hospitals_owned_by_reps(files):
    users = {u["username"]: u for u in files["users"]}
    for customer in files["customers"]:
        assert customer["type"] == "hospital"
        owner = users[customer["owner"]]
        assert owner["role"] == "rep" and owner["active"] == "true"
        assert owner["team"]
    assert "admin" not in users  # kamflow init creates the admin


def test_places_are_real_provinces_and_their_cities(files):
    cities = {p.name: {c.name for c in p.cities} for p in PROVINCES}
    regions = Counter(c["region"] for c in files["customers"])
    assert len(regions) >= 15
    for customer in files["customers"]:
        assert customer["city"] in cities[customer["region"]], customer["name"]
    names = {c["name"] for c in files["customers"]}
    assert any(name.endswith("县人民医院") for name in names)
    assert any("大学" in name and "附属" in name for name in names)
    assert any(name.endswith("市第一人民医院") for name in names)


def test_grades_and_beds_go_together(files):
    grades = Counter(c["grade"] for c in files["customers"])
    assert set(grades) >= {"3A", "3B", "2A", "2B", "1"}
    beds = defaultdict(list)
    for customer in files["customers"]:
        if customer["beds"]:
            beds[customer["grade"]].append(int(customer["beds"]))
    median = {grade: sorted(values)[len(values) // 2] for grade, values in beds.items()}
    assert median["3A"] > median["3B"] > median["2A"] > median["2B"] > median["1"]


def test_the_organisation(files):
    users = files["users"]
    managers = {u["username"] for u in users if u["role"] == "manager"}
    reps = [u for u in users if u["role"] == "rep"]
    assert {u["seniority"] for u in reps} == {"junior", "regular", "senior"}
    assert all(u["manager"] in managers for u in reps)
    teams = {u["team"] for u in reps}
    assert len(teams) == 7
    for team in teams:
        members = [u for u in users if u["team"] == team and u["active"] == "true"]
        assert any(u["role"] == "manager" for u in members), team
        assert any(u["role"] == "rep" and u["seniority"] == "senior" for u in members), team
    marketing = [u for u in users if u["team"] == "marketing" and u["active"] == "true"]
    assert len(marketing) >= 2
    assert any(u["active"] == "false" for u in users)


def test_five_product_lines_some_new(files):
    products = files["products"]
    assert len({p["product_line"] for p in products}) == 5
    new = {p["code"] for p in products if p["is_new"] == "true"}
    assert 0 < len(new) < len(products)
    first_sale = min(o["date"] for o in files["orders"] if o["product_code"] in new)
    assert first_sale >= "2024-03-01"  # launched in the data's second year


def test_orders_span_24_months_before_as_of(files):
    dates = sorted(o["date"] for o in files["orders"])
    assert dates[0].startswith("2023-06") and dates[-1] < AS_OF.isoformat()
    assert len({d[:7] for d in dates}) == 25
    assert all(o["amount"].split(".")[1].__len__() == 2 for o in files["orders"])
    assert any(o["amount"].startswith("-") for o in files["orders"])  # a few returns
    assert any(o["cost"] == "" for o in files["orders"])


def _yearly_revenue(files):
    revenue = defaultdict(lambda: [0.0, 0.0])
    for order in files["orders"]:
        revenue[order["customer"]][order["date"] >= "2024-06-15"] += float(order["amount"])
    return revenue


def test_customers_grow_decline_go_dormant_or_start_late(files):
    revenue = _yearly_revenue(files)
    last_order = defaultdict(str)
    first_order = {}
    for order in files["orders"]:
        code = order["customer"]
        last_order[code] = max(last_order[code], order["date"])
        first_order[code] = min(first_order.get(code, "9999"), order["date"])
    assert sum(1 for before, after in revenue.values() if after > 1.5 * before > 0) >= 10
    assert sum(1 for before, after in revenue.values() if 0 < after < 0.6 * before) >= 10
    assert sum(1 for day in last_order.values() if day < "2024-12-15") >= 10
    assert sum(1 for day in first_order.values() if day >= "2024-01-01") >= 10
    never = {c["code"] for c in files["customers"]} - set(first_order)
    assert never  # prospects the reps visit but who have not bought yet
    visited = {v["customer"] for v in files["visits"]}
    assert never & visited


def test_payments_vary_and_some_are_unpaid(files):
    days, unpaid = [], 0
    for payment in files["payments"]:
        assert payment["invoice_date"] < AS_OF.isoformat()
        if not payment["paid_date"]:
            unpaid += 1
            continue
        paid = dt.date.fromisoformat(payment["paid_date"])
        assert paid < AS_OF
        days.append((paid - dt.date.fromisoformat(payment["invoice_date"])).days)
    assert unpaid >= 20 and min(days) >= 0
    assert min(days) < 30 and max(days) > 180
    old_unpaid = [p for p in files["payments"]
                  if not p["paid_date"] and p["invoice_date"] < "2024-06-01"]
    assert old_unpaid  # disputed invoices, not only recent ones


def test_visits_are_by_the_owner_on_weekdays(files):
    owners = {c["code"]: c["owner"] for c in files["customers"]}
    users = {u["username"]: u for u in files["users"]}
    by_owner = sum(1 for v in files["visits"] if v["rep"] == owners[v["customer"]])
    assert by_owner > 0.9 * len(files["visits"])
    for visit in files["visits"]:
        assert dt.date.fromisoformat(visit["date"]).weekday() < 5
        owner = owners[visit["customer"]]
        assert visit["rep"] in (owner, users[owner]["manager"])
    assert {v["channel"] for v in files["visits"]} >= {"face_to_face", "phone"}


def test_some_profile_fields_are_left_empty(files):
    customers = files["customers"]
    assert all(c["grade"] for c in customers)
    for key in PROFILE_FIELDS[1:]:
        values = [c[key] for c in customers]
        assert "" in values and any(values), key
    for customer in customers:
        if customer["expansion_note"]:
            assert customer["development_plan"] == "expanding"


def test_a_few_hospitals_are_spelled_twice(files):
    dataset = generate(300, 1, as_of=AS_OF)
    names = {h.code: h.name for h in dataset.hospitals}
    pairs = dataset.duplicate_pairs()
    assert 3 <= len(pairs) <= 10
    kinds = set()
    for original, twin in pairs:
        a, b = names[original], names[twin]
        if "\u3000" in b:
            kinds.add("full-width space")
            assert b.replace("\u3000", "") == a
        elif "醫" in b:
            kinds.add("traditional")
            assert b.replace("醫", "医") == a
        else:
            kinds.add("市 dropped")
            assert len(b) == len(a) - 1 and a.replace("市", "", 1) == b
    assert kinds == {"full-width space", "traditional", "市 dropped"}
    twins = {twin for _, twin in pairs}
    assert twins & {o["customer"] for o in files["orders"]}  # some orders booked under the twin


def test_some_dormant_hospitals_have_closed(files):
    closed = {c["code"] for c in files["customers"] if c["status"] == "inactive"}
    assert 0 < len(closed) < 30
    assert {c["status"] for c in files["customers"]} == {"active", "inactive"}
    recent = {o["customer"] for o in files["orders"] if o["date"] >= "2024-12-15"}
    assert not closed & recent


@pytest.mark.parametrize("seed", range(40))
def test_any_seed_generates_importable_shapes(seed):
    dataset = generate(25, seed, as_of=dt.date(2024, 2, 29))
    for kind in IMPORT_ORDER:
        assert all(len(row) == len(HEADERS[kind]) + (len(PROFILE_FIELDS) if kind == "customers"
                                                     else 0) for row in dataset.rows(kind))
    assert dataset.rows("orders") and dataset.rows("visits")
