"""Helpers for the evaluation tests: facts inserted with SQLAlchemy Core, and a slow,
obviously correct pure-Python evaluation to check the engine against.

The reference reads every row, walks customers one at a time, sums money as integer cents
(``Fraction`` for averages), evaluates expressions with ``engine.expr.compile_python`` row by
row, and implements ranks, splits and tiers straight from the words of SPEC §3.2–§3.5.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, insert, select

from engine.models import Customer, Order, Payment, Product, SegmentOverride, User, Visit

EVAL_DATA = Path(__file__).parent / "data" / "eval"
D = dt.date


def cents(amount) -> int | None:
    """Yuan (number or text) as integer cents; None stays None."""
    if amount is None:
        return None
    return int(Decimal(str(amount)) * 100)


class Facts:
    """Insert master data and facts directly; codes are the handles tests use."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.customers: dict[str, int] = {}
        self.products: dict[str, int] = {}
        self.users: dict[str, int] = {}
        self._serial = 0

    def _next(self, prefix: str) -> str:
        self._serial += 1
        return f"{prefix}{self._serial:06d}"

    def _insert(self, model, rows: list[dict]) -> list[int]:
        if not rows:
            return []
        with self.engine.begin() as connection:
            result = connection.execute(insert(model.__table__).returning(model.__table__.c.id),
                                        rows, )
            return list(result.scalars())

    def user(self, username: str, role: str = "rep", team: str | None = None) -> int:
        [user_id] = self._insert(User, [{"username": username, "name": username, "role": role,
                                         "team": team}])
        self.users[username] = user_id
        return user_id

    def customer(self, code: str, type: str = "hospital", status: str = "active",
                 region: str | None = None, city: str | None = None,
                 owner: str | None = None, **profile) -> int:
        return self.customer_rows([dict(code=code, type=type, status=status, region=region,
                                        city=city, owner=owner, profile=profile)])[0]

    def customer_rows(self, rows: list[dict]) -> list[int]:
        prepared = [{"code": r["code"], "name": r.get("name", r["code"]),
                     "normalized_name": r.get("name", r["code"]),
                     "type": r.get("type", "hospital"), "status": r.get("status", "active"),
                     "region": r.get("region"), "city": r.get("city"),
                     "parent_code": r.get("parent"),
                     "owner_id": self.users.get(r.get("owner")) if r.get("owner") else None,
                     "profile": r.get("profile") or {}} for r in rows]
        ids = self._insert(Customer, prepared)
        self.customers.update(zip((r["code"] for r in rows), ids))
        return ids

    def product(self, code: str, line: str | None = None, is_new: bool = False) -> int:
        [product_id] = self._insert(Product, [{"code": code, "name": code, "product_line": line,
                                               "is_new": is_new}])
        self.products[code] = product_id
        return product_id

    def _product_id(self, code: str) -> int:
        if code not in self.products:
            self.product(code)
        return self.products[code]

    def order(self, customer: str, date: dt.date, amount, product: str = "P1", cost=None,
              quantity=None, order_id: str | None = None) -> None:
        self.orders([dict(customer=customer, date=date, amount=amount, product=product,
                          cost=cost, quantity=quantity, order_id=order_id)])

    def orders(self, rows: list[dict]) -> None:
        self._insert(Order, [{
            "order_id": r.get("order_id") or self._next("O"),
            "customer_id": self.customers[r["customer"]], "date": r["date"],
            "product_id": self._product_id(r.get("product", "P1")),
            "quantity_milli": None if r.get("quantity") is None
            else int(Decimal(str(r["quantity"])) * 1000),
            "amount_cents": cents(r["amount"]), "cost_cents": cents(r.get("cost"))}
            for r in rows])

    def payment(self, customer: str, invoice_date: dt.date, amount, paid_date=None,
                invoice_id: str | None = None) -> None:
        self.payments([dict(customer=customer, invoice_date=invoice_date, amount=amount,
                            paid_date=paid_date, invoice_id=invoice_id)])

    def payments(self, rows: list[dict]) -> None:
        self._insert(Payment, [{
            "invoice_id": r.get("invoice_id") or self._next("I"),
            "customer_id": self.customers[r["customer"]], "invoice_date": r["invoice_date"],
            "amount_cents": cents(r["amount"]), "paid_date": r.get("paid_date")} for r in rows])

    def visit(self, customer: str, date: dt.date, channel: str = "face_to_face",
              rep: str | None = None, visit_id: str | None = None) -> None:
        self.visits([dict(customer=customer, date=date, channel=channel, rep=rep,
                          visit_id=visit_id)])

    def visits(self, rows: list[dict]) -> None:
        self._insert(Visit, [{
            "visit_id": r.get("visit_id") or self._next("V"),
            "customer_id": self.customers[r["customer"]], "date": r["date"],
            "channel": r.get("channel", "face_to_face"),
            "rep_id": self.users.get(r["rep"]) if r.get("rep") else None} for r in rows])

    def override(self, customer: str, ruleset: str, segment: str, until: dt.date,
                 status: str = "approved") -> None:
        self._insert(SegmentOverride, [{
            "customer_id": self.customers[customer], "ruleset_id": ruleset,
            "segment": segment, "until": until, "reason": "test", "status": status,
            "requested_by": "rep1"}])


def customer_ids(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return dict(connection.execute(select(Customer.code, Customer.id)).all())


# --- rulesets written by the tests ---------------------------------------------------------

CLINIC_FORM = {
    "kind": "form", "id": "clinic", "title": "Clinic", "customer_type": "clinic",
    "fields": [
        {"key": "beds", "label": "Beds", "type": "integer"},
        {"key": "grade", "label": "Grade", "type": "select",
         "options": [{"value": v, "label": v} for v in ("a", "b", "1")]},
        {"key": "growth", "label": "Growth", "type": "number"},
        {"key": "certified", "label": "Certified", "type": "boolean"},
        {"key": "opened", "label": "Opened", "type": "date"},
        {"key": "note", "label": "Note", "type": "text"},
    ],
}
TWO_TIERS = {"tiers": [{"id": "high", "label": "High", "when": "main >= 50"},
                       {"id": "low", "label": "Low"}]}


def ruleset(id: str = "rs", metrics: dict | None = None, axes: dict | None = None,
            classification: dict | None = None, applies_to=("clinic",), months: int = 12,
            **extra) -> dict:
    """A ruleset document; by default one axis ``main`` scoring the first metric with a
    map (which takes any type), and two tiers split at 50."""
    metrics = metrics or {"revenue": {"aggregate": "sum", "of": "orders.amount"}}
    axes = axes or {"main": {"label": "Main", "items": [
        {"metric": next(iter(metrics)), "weight": 1, "score": {"map": {"1": 10}}}]}}
    return {"kind": "ruleset", "id": id, "title": id, "applies_to": list(applies_to),
            "window": {"months": months}, "metrics": metrics, "axes": axes,
            "classification": classification or TWO_TIERS, **extra}


def quadrant(split="median", segments=None, **options) -> dict:
    """A quadrant over axes ``x`` and ``y`` with segments hh, hl, lh, ll."""
    corners = segments or {"hh": ("high", "high"), "hl": ("high", "low"),
                           "lh": ("low", "high"), "ll": ("low", "low")}
    return {"quadrant": {"x": "x", "y": "y", "split": split},
            "segments": {seg: {"x": x, "y": y, "label": seg, "color": "#000000"}
                         for seg, (x, y) in corners.items()}, **options}


def install(engine: Engine, folder: Path, *definitions: dict, forms=(CLINIC_FORM,),
            pack_id: str = "evaltest") -> None:
    """Write ``definitions`` (and ``forms``) as a pack under ``folder`` and import it."""
    import json

    from engine.packs import import_pack

    root = folder / pack_id
    for sub in ("forms", "rules", "workflows"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    (root / "pack.yaml").write_text(f"id: {pack_id}\nversion: 1.0.0\ntitle: {pack_id}\n")
    for doc in (*forms, *definitions):
        sub = {"form": "forms", "ruleset": "rules", "workflow": "workflows"}[doc["kind"]]
        (root / sub / f"{doc['id']}.json").write_text(json.dumps(doc, ensure_ascii=False))
    import_pack(engine, root)


def by_code(result, metric_or_axis: str) -> dict:
    """code → a metric's value (or an axis' score) in a RunResult."""
    codes = result.population.codes.tolist()
    if metric_or_axis in result.metrics:
        return dict(zip(codes, result.metrics[metric_or_axis].to_python()))
    return dict(zip(codes, result.scores.axes[metric_or_axis].tolist()))


def points_by_code(result, metric: str) -> dict:
    return dict(zip(result.population.codes.tolist(),
                    result.scores.points[metric].points.tolist()))


def segments_by_code(result) -> dict:
    return dict(zip(result.population.codes.tolist(), result.segments.tolist()))


# --- the reference evaluation --------------------------------------------------------------

import calendar  # noqa: E402
import math  # noqa: E402
from fractions import Fraction  # noqa: E402

from sqlalchemy.orm import Session  # noqa: E402

from engine.definitions.published import published_spec  # noqa: E402
from engine.definitions.ruleset_specs import (AggregateMetric, BandsScore,  # noqa: E402
                                              FieldMetric, LinearScore, MapScore,
                                              PercentileScore, Quadrant)
from engine.expr import check, compile_python, names_in, parse, round_half_away  # noqa: E402
from engine.expr.nodes import Name  # noqa: E402
from engine.facts import FACT_COLUMNS, fact_env  # noqa: E402
from engine.models import (CustomerScore, Definition, DefinitionVersion,  # noqa: E402
                           EvaluationRun)


def r9(x):
    return None if x is None else round_half_away(x, 9)


def minus_months(day: dt.date, months: int) -> dt.date:
    year, month = day.year, day.month
    for _ in range(months):
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def text_of(value) -> str | None:
    """The map-key / export text of a value, from the words of SPEC §3.5."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        if value == 0:
            return "0"
        text = repr(float(value))
        return text[:-2] if text.endswith(".0") else text
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


class Reference:
    """Evaluate a published ruleset the slow way, one customer and one row at a time."""

    def __init__(self, engine: Engine, ruleset_id: str, as_of: dt.date):
        self.engine, self.as_of = engine, as_of
        with Session(engine) as session:
            self.spec = published_spec(session, "ruleset", ruleset_id)
            self.forms = {content["customer_type"]: content for content in session.scalars(
                select(DefinitionVersion.content)
                .join(Definition, Definition.published_version_id == DefinitionVersion.id)
                .where(Definition.kind == "form"))}
        self.customers = self._customers()

    # -- reading -----------------------------------------------------------------------
    def _customers(self) -> list[dict]:
        with self.engine.connect() as c:
            rows = c.execute(select(Customer, User.username).outerjoin(
                User, User.id == Customer.owner_id)).all()
        found = []
        for row in rows:
            customer = row._mapping
            if customer["type"] in self.spec.applies_to and customer["status"] in ("active", ""):
                found.append(dict(customer) | {"owner": customer["username"]})
        return sorted(found, key=lambda c: c["id"])

    def _fact_rows(self, table: str) -> list[dict]:
        with self.engine.connect() as c:
            if table == "orders":
                rows = c.execute(select(Order, Product.code.label("pcode"),
                                        Product.product_line, Product.is_new,
                                        Customer.code.label("ccode"))
                                 .join(Product, Product.id == Order.product_id)
                                 .join(Customer, Customer.id == Order.customer_id)).all()
                return [{"cid": r.customer_id, "day": r.date, "orders.order_id": r.order_id,
                         "orders.customer": r.ccode, "orders.date": r.date,
                         "orders.product_code": r.pcode, "orders.product_line": r.product_line,
                         "orders.product_is_new": r.is_new,
                         "orders.quantity": r.quantity_milli, "orders.amount": r.amount_cents,
                         "orders.cost": r.cost_cents} for r in rows]
            if table == "payments":
                rows = c.execute(select(Payment, Customer.code.label("ccode"))
                                 .join(Customer, Customer.id == Payment.customer_id)).all()
                out = []
                for r in rows:
                    paid = r.paid_date if r.paid_date is not None else self.as_of
                    out.append({"cid": r.customer_id, "day": r.invoice_date,
                                "payments.invoice_id": r.invoice_id,
                                "payments.customer": r.ccode,
                                "payments.invoice_date": r.invoice_date,
                                "payments.amount": r.amount_cents,
                                "payments.paid_date": r.paid_date,
                                "payments.days_to_pay":
                                    (min(paid, self.as_of) - r.invoice_date).days})
                return out
            rows = c.execute(select(Visit, Customer.code.label("ccode"),
                                    User.username.label("rep_name"))
                             .join(Customer, Customer.id == Visit.customer_id)
                             .outerjoin(User, User.id == Visit.rep_id)).all()
            return [{"cid": r.customer_id, "day": r.date, "visits.visit_id": r.visit_id,
                     "visits.customer": r.ccode, "visits.rep": r.rep_name,
                     "visits.date": r.date, "visits.channel": r.channel} for r in rows]

    # -- metrics -----------------------------------------------------------------------
    def aggregate(self, metric: AggregateMetric, customer_id: int, rows: list[dict]):
        start = minus_months(self.as_of, metric.window_months + metric.offset_months)
        end = minus_months(self.as_of, metric.offset_months)
        table = metric.of.strip() if metric.counts_rows else _table(metric)
        env = fact_env(table)
        where = compile_python(parse(metric.where), env) if metric.where else None
        chosen = [r for r in rows if r["cid"] == customer_id and start <= r["day"] < end
                  and (where is None or where(r, as_of=self.as_of) is True)]
        if metric.counts_rows:
            return float(len(chosen))
        node = parse(metric.of)
        of_type = check(node, env)
        of = compile_python(node, env)
        values = [v for v in (of(r, as_of=self.as_of) for r in chosen) if v is not None]
        exact = of_type.kind == "decimal" or isinstance(node, Name)
        unit = 10 ** of_type.scale if of_type.kind == "decimal" else 1
        kind = metric.function
        if kind == "count":
            return float(len(values))
        if kind == "count_distinct":
            return float(len(set(values)))
        if kind == "sum":
            if exact:
                return float(Fraction(sum(values), unit))
            return r9(math.fsum(values))
        if kind == "avg":
            if not values:
                return None
            if exact:
                return float(Fraction(sum(values), unit * len(values)))
            return r9(math.fsum(values) / len(values))
        if not values:
            return None
        extreme = min(values) if kind == "min" else max(values)
        if of_type.kind == "decimal":
            return float(Fraction(extreme, unit))
        if of_type.kind == "number":
            return float(extreme) if exact else r9(float(extreme))
        return extreme

    def field(self, key: str, customer: dict):
        core = {"code": "code", "name": "name", "type": "type", "parent": "parent_code",
                "region": "region", "city": "city", "owner": "owner", "status": "status"}
        if key in core:
            value = customer[core[key]]
            return None if value == "" else value
        form = self.forms.get(customer["type"])
        fields = {f["key"]: f for f in (form or {}).get("fields", [])}
        if key not in fields:
            return None
        value = (customer["profile"] or {}).get(key)
        if value is None or value == "" or value == []:
            return None
        kind = fields[key]["type"]
        if kind in ("integer", "number"):
            return float(value)
        if kind == "boolean":
            return bool(value)
        if kind == "date":
            return dt.date.fromisoformat(value)
        if isinstance(value, list):
            return ";".join(text_of(v) for v in value)
        return text_of(value)

    def metrics(self) -> dict[str, dict[str, object]]:
        """customer code → metric id → value."""
        tables = {}
        result = {}
        for customer in self.customers:
            values = {}
            for metric in self.spec.metrics:
                if isinstance(metric, AggregateMetric):
                    table = metric.of.strip() if metric.counts_rows else _table(metric)
                    if table not in tables:
                        tables[table] = self._fact_rows(table)
                    values[metric.id] = self.aggregate(metric, customer["id"], tables[table])
                elif isinstance(metric, FieldMetric):
                    values[metric.id] = self.field(metric.field, customer)
            pending = [m for m in self.spec.metrics if m.id not in values]
            while pending:
                for metric in list(pending):
                    node = parse(metric.formula)
                    needed = names_in(node) - {"as_of"}
                    if all(n in values for n in needed):
                        env = {n: _type_of(values, n, self) for n in needed}
                        value = compile_python(node, env)(values, as_of=self.as_of)
                        if isinstance(value, (int, float)) and not isinstance(value, bool):
                            value = r9(value)
                        values[metric.id] = value
                        pending.remove(metric)
            result[customer["code"]] = values
        return result

    # -- points, axes, segments --------------------------------------------------------------
    def points(self, item, metrics: dict) -> dict[str, float]:
        column = {code: values[item.metric] for code, values in metrics.items()}
        present = [v for v in column.values() if v is not None]
        n, score, out = len(present), item.score, {}
        for code, v in column.items():
            if v is None:
                p = item.missing
            elif isinstance(score, PercentileScore):
                below = sum(1 for x in present if x < v)
                above = sum(1 for x in present if x > v)
                same = sum(1 for x in present if x == v)
                rank = (above if score.descending else below) + (same + 1) / 2
                p = 10.0 if n == 1 else 10 * (rank - 1) / (n - 1)
            elif isinstance(score, BandsScore):
                p = next((b.points for b in score.bands
                          if (b.min is None or b.min <= v) and (b.max is None or v <= b.max)),
                         score.otherwise)
            elif isinstance(score, MapScore):
                p = score.points.get(text_of(v), score.otherwise)
            else:
                assert isinstance(score, LinearScore)
                share = (v - score.start) / (score.end - score.start)
                p = 10 * min(max(share, 0.0), 1.0)
            out[code] = r9(float(p))
        return out

    def evaluate(self) -> dict:
        metrics = self.metrics()
        points, axes = {}, {code: {} for code in metrics}
        for axis in self.spec.axes:
            for item in axis.items:
                points[item.metric] = self.points(item, metrics)
            for code in metrics:
                total, weights = 0.0, 0.0
                for item in axis.items:
                    total += float(item.weight) * points[item.metric][code]
                    weights += float(item.weight)
                axes[code][axis.id] = r9(10 * total / weights)
        segments, splits = self.segments(metrics, axes)
        overrides = self._overrides()
        ids = {c["code"]: c["id"] for c in self.customers}
        return {"metrics": metrics, "points": points, "axes": axes, "segments": segments,
                "splits": splits,
                "effective": {code: overrides.get(ids[code], seg)
                              for code, seg in segments.items()}}

    def previous(self) -> dict[int, str]:
        with self.engine.connect() as c:
            run = c.scalar(select(EvaluationRun.id).where(
                EvaluationRun.ruleset_id == self.spec.id, EvaluationRun.status == "completed")
                .order_by(EvaluationRun.id.desc()).limit(1))
            if run is None:
                return {}
            return dict(c.execute(select(CustomerScore.customer_id, CustomerScore.segment)
                                  .where(CustomerScore.run_id == run)).all())

    def _overrides(self) -> dict[int, str]:
        with self.engine.connect() as c:
            rows = c.execute(select(SegmentOverride).order_by(SegmentOverride.id)).all()
        return {r.customer_id: r.segment for r in rows
                if r.ruleset_id == self.spec.id and r.status == "approved"
                and r.until >= self.as_of}

    def segments(self, metrics: dict, axes: dict):
        classification = self.spec.classification
        if not isinstance(classification, Quadrant):
            return self._tiers(metrics, axes), {}
        previous = self.previous()
        ids = {c["code"]: c["id"] for c in self.customers}
        margin = classification.stability_margin
        within = classification.split_within
        group_of = {}
        for c in self.customers:
            value = self.field(within, c) if within else None
            group_of[c["code"]] = "" if value is None else text_of(value)
        sides, splits = {code: {} for code in axes}, {}
        for axis in (classification.x, classification.y):
            rule = classification.splits[axis]
            by_group = {}
            for code in axes:
                key = "" if (not within or isinstance(rule, (int, float))) else group_of[code]
                by_group.setdefault(key, []).append(code)
            splits[axis] = {}
            for key, codes in by_group.items():
                scores = [axes[code][axis] for code in codes]
                split = _split_value(rule, scores)
                splits[axis][key] = split
                for code in codes:
                    s = axes[code][axis]
                    before = previous.get(ids[code])
                    side_before = None
                    for seg in classification.segments:
                        if seg.id == before:
                            side_before = seg.sides[axis]
                    if rule == "mean":
                        n, units = len(scores), [round(x * 10**9) for x in scores]
                        total, mine, m = sum(units), round(s * 10**9) * n, round(margin * 10**9) * n
                        high = (mine >= total - m if side_before == "high" else
                                mine >= total + m if side_before == "low" else mine >= total)
                    else:
                        high = (s >= split - margin if side_before == "high" else
                                s >= split + margin if side_before == "low" else s >= split)
                    sides[code][axis] = "high" if high else "low"
        segments = {}
        for code, side in sides.items():
            for seg in classification.segments:
                if all(side[a] == seg.sides[a] for a in (classification.x, classification.y)):
                    segments[code] = seg.id
        return segments, splits

    def _tiers(self, metrics: dict, axes: dict) -> dict:
        out = {}
        for code, values in metrics.items():
            known = {**values, **axes[code]}
            for tier in self.spec.classification.segments:
                if tier.when is None:
                    out[code] = tier.id
                    break
                node = parse(tier.when)
                env = {n: _type_of(known, n, self) for n in names_in(node) - {"as_of"}}
                if compile_python(node, env)(known, as_of=self.as_of) is True:
                    out[code] = tier.id
                    break
        return out


def _split_value(rule, scores: list[float]) -> float | None:
    if isinstance(rule, (int, float)):
        return float(rule)
    if not scores:
        return None
    if rule == "mean":
        return sum(round(s * 10**9) for s in scores) / len(scores) / 10**9
    p = 0.5 if rule == "median" else float(rule[1:]) / 100
    ordered = sorted(scores)
    pos = p * (len(ordered) - 1)
    lo, hi = ordered[math.floor(pos)], ordered[math.ceil(pos)]
    return lo + (hi - lo) * (pos - math.floor(pos))


def _table(metric: AggregateMetric) -> str:
    for text in (metric.of, metric.where or ""):
        for name in sorted(names_in(parse(text))) if text else ():
            if name.split(".")[0] in FACT_COLUMNS:
                return name.split(".")[0]
    raise AssertionError(metric)


def _type_of(values: dict, name: str, reference: Reference):
    """The expression type of a metric (from its definition) or of an axis (a number)."""
    from engine.expr import BOOLEAN, DATE, NUMBER, TEXT

    metric = reference.spec.metric(name)
    if metric is None:
        return NUMBER
    if isinstance(metric, FieldMetric):
        kinds = {"integer": NUMBER, "number": NUMBER, "boolean": BOOLEAN, "date": DATE}
        for customer_type in sorted(reference.spec.applies_to):
            form = reference.forms.get(customer_type, {})
            for f in form.get("fields", []):
                if f["key"] == metric.field:
                    return kinds.get(f["type"], TEXT)
        return TEXT
    if isinstance(metric, AggregateMetric):
        if metric.function in ("count", "count_distinct", "sum", "avg") or metric.counts_rows:
            return NUMBER
        typ = check(parse(metric.of), fact_env(_table(metric)))
        return NUMBER if typ.kind == "decimal" else typ
    node = parse(metric.formula)
    return check(node, {n: _type_of(values, n, reference) for n in names_in(node) - {"as_of"}})


def engine_view(result) -> dict:
    """A RunResult in the shape :meth:`Reference.evaluate` returns."""
    codes = result.population.codes.tolist()
    metrics = {code: {} for code in codes}
    for metric_id, vec in result.metrics.items():
        for code, value in zip(codes, vec.to_python()):
            metrics[code][metric_id] = value
    points = {m: dict(zip(codes, p.points.tolist())) for m, p in result.scores.points.items()}
    axes = {code: {} for code in codes}
    for axis_id, scores in result.scores.axes.items():
        for code, score in zip(codes, scores.tolist()):
            axes[code][axis_id] = score
    return {"metrics": metrics, "points": points, "axes": axes,
            "segments": dict(zip(codes, result.segments.tolist())),
            "effective": dict(zip(codes, result.effective_segments.tolist()))}


def differences(engine_result: dict, reference: dict) -> list[str]:
    """Every value on which the engine and the reference disagree (empty: they agree)."""
    found = []
    if set(engine_result["metrics"]) != set(reference["metrics"]):
        return [f"customers differ: {sorted(engine_result['metrics'])} vs "
                f"{sorted(reference['metrics'])}"]
    for code, values in reference["metrics"].items():
        for metric_id, expected in values.items():
            got = engine_result["metrics"][code][metric_id]
            if not _same(got, expected):
                found.append(f"{code} metric {metric_id}: engine {got!r}, reference {expected!r}")
    for metric_id, by_code in reference["points"].items():
        for code, expected in by_code.items():
            got = engine_result["points"][metric_id][code]
            if not _same(got, expected):
                found.append(f"{code} points {metric_id}: engine {got!r}, reference {expected!r}")
    for key in ("axes", "segments", "effective"):
        for code, expected in reference[key].items():
            if engine_result[key][code] != expected:
                found.append(f"{code} {key}: engine {engine_result[key][code]!r}, "
                             f"reference {expected!r}")
    return found


def _same(got, expected) -> bool:
    if type(got) is not type(expected) and not (
            isinstance(got, (int, float)) and isinstance(expected, (int, float))
            and not isinstance(got, bool) and not isinstance(expected, bool)):
        return False
    return got == expected
