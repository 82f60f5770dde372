"""The lint's look at the data: values a ``map`` score does not list.

For a map over a ``{field: KEY}`` metric, one ``GROUP BY`` over the customers in scope counts
each distinct value of the field; for a map over ``min``/``max`` of a fact column, one
``GROUP BY`` over that column's rows of customers in scope. Each query returns at most
``MAX_DISTINCT`` values, the most frequent first; nothing is read row by row.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import cast, func, select
from sqlalchemy.orm import Session

from engine.definitions.catalog import Catalog
from engine.definitions.documents import Document
from engine.definitions.lint_warnings import LintWarning, make_warning, number, quoted
from engine.definitions.metric_checks import field_type
from engine.evaluation.fact_sql import FactSource
from engine.evaluation.loading import ProfileField
from engine.evaluation.profile_sql import column_count, field_columns, field_vector
from engine.evaluation.scope import CORE_COLUMNS, in_scope, scope_ids
from engine.evaluation.vector_expr import kind_of
from engine.evaluation.vectors import texts_of, value_text
from engine.facts import CORE_ATTRIBUTES, FACT_COLUMNS
from engine.models import Customer, User

MAX_DISTINCT = 500
SHOWN = 5


def probe_maps(session: Session, doc: Document, catalog: Catalog) -> list[LintWarning]:
    """Warnings for each ``map`` score of ruleset ``doc`` that misses values the data holds."""
    metrics = doc.content.get("metrics", {})
    applies_to = list(doc.content.get("applies_to", []))
    warnings = []
    for axis_id, axis in doc.content.get("axes", {}).items():
        for i, item in enumerate(axis.get("items", [])):
            score = item.get("score")
            spec = metrics.get(item.get("metric"))
            if not isinstance(score, dict) or "map" not in score or not isinstance(spec, dict):
                continue
            found = _distinct_values(session, spec, applies_to, catalog)
            if found is None:
                continue
            source, counts, options = found
            # Options the map lacks are already warned about without data (map_missing_option).
            missing = [(v, n) for v, n in counts
                       if v is not None and v not in score["map"] and v not in options]
            if missing:
                shown = ", ".join(f"{quoted(v)} ({n})" for v, n in missing[:SHOWN])
                more = len(missing) - SHOWN
                warnings.append(make_warning(
                    doc, ("axes", axis_id, "items", i, "score", "map"), "map_missing_data",
                    source=source, values=shown + (f" … +{more}" if more > 0 else ""),
                    points=number(score.get("else", 0))))
    return warnings


def _distinct_values(session, spec, applies_to, catalog):
    """(what was read, [(value text, count)], option values) for the metric ``spec``, or
    None."""
    if "field" in spec:
        field = _profile_field(spec["field"], applies_to, catalog)
        return (quoted(field.key), _field_values(session, field, applies_to),
                _options(field.key, applies_to, catalog))
    of = str(spec.get("of", "")).strip()
    table, _, column = of.partition(".")
    if spec.get("aggregate") in ("min", "max") and column in FACT_COLUMNS.get(table, {}):
        return of, _column_values(session, table, of, applies_to), set()
    return None


def _options(key: str, applies_to, catalog: Catalog) -> set[str]:
    """The option values of select field ``key`` in the forms in scope."""
    return {value_text(o["value"]) for form in catalog.forms_for(applies_to)
            for f in form.content.get("fields", [])
            if f.get("key") == key and f.get("type") == "select" for o in f.get("options", [])}


def _profile_field(key: str, applies_to, catalog: Catalog) -> ProfileField:
    if key in CORE_ATTRIBUTES:
        return ProfileField(key, "text")
    having = [(form, f) for form in catalog.forms_for(applies_to)
              for f in form.content.get("fields", []) if f.get("key") == key]
    if not having:
        return ProfileField(key, "text")
    types = frozenset(form.content["customer_type"] for form, _ in having)
    return ProfileField(key, kind_of(field_type(having[0][1])), types)


def _scoped(dialect: str, applies_to, key: str):
    """The customers in scope with what :func:`field_columns` reads of them."""
    customers, users = Customer.__table__, User.__table__
    document = customers.c.profile
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import JSONB

        document = cast(document, JSONB)
    columns = [customers.c.type, document.label("document")]
    source = customers
    if key == "owner":
        columns.append(users.c.username.label("owner"))
        source = customers.outerjoin(users, users.c.id == customers.c.owner_id)
    elif key in CORE_COLUMNS:
        columns.append(customers.c[CORE_COLUMNS[key]].label(key))
    # PostgreSQL parses a json value again for each function applied to it: parse it once
    # into jsonb in a materialized CTE, as evaluation does.
    scoped = select(*columns).select_from(source).where(in_scope(customers, applies_to)) \
        .cte("scoped")
    return scoped.prefix_with("MATERIALIZED", dialect="postgresql")


def _field_values(session, field: ProfileField, applies_to):
    scoped = _scoped(session.get_bind().dialect.name, applies_to, field.key)
    columns = field_columns(session.get_bind().dialect.name, scoped, field)
    count = func.count().label("n")
    rows = session.execute(select(*columns, count).group_by(*columns)
                           .order_by(count.desc()).limit(MAX_DISTINCT)).all()
    width = column_count(field)
    vector = field_vector(field, [[r[c] for r in rows] for c in range(width)])
    texts = texts_of(vector).tolist() if rows else []
    return _merged(zip(texts, (r[-1] for r in rows)))


def _column_values(session, table: str, name: str, applies_to):
    source = FactSource(table, dt.date.today())
    column = source.column(name)
    count = func.count().label("n")
    query = (source.select_from(column, count)
             .where(source.customer_id.in_(scope_ids(applies_to)))
             .group_by(column).order_by(count.desc()).limit(MAX_DISTINCT))
    return _merged((value_text(v), n) for v, n in session.execute(query))


def _merged(pairs) -> list[tuple[str | None, int]]:
    """Counts by text (two stored forms may read as the same text), most frequent first."""
    totals: dict = {}
    for text, n in pairs:
        totals[text] = totals.get(text, 0) + n
    return sorted(totals.items(), key=lambda p: (-p[1], str(p[0])))
