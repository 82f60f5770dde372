"""Checks of a ruleset's metrics, and the type each metric produces (SPEC §3.2, §3.5)."""
from __future__ import annotations

from engine.definitions.catalog import (FIELD_TYPES, Catalog, check_expression, excerpt,
                                        expression_message)
from engine.definitions.documents import Document, did_you_mean
from engine.errors import ExpressionError, Problem
from engine.expr import BOOLEAN, DATE, NUMBER, TEXT, ExprType, names_in, parse
from engine.facts import CORE_ATTRIBUTES, FACT_COLUMNS, fact_env

NUMERIC_AGGREGATES = ("sum", "avg")
ORDERED_AGGREGATES = ("min", "max")
_TYPE_OF = {"number": NUMBER, "boolean": BOOLEAN, "date": DATE}


def field_type(form_field: dict) -> ExprType:
    """The expression type of a form field's value."""
    return _TYPE_OF.get(FIELD_TYPES.get(form_field.get("type"), "text"), TEXT)


def profile_fields(catalog: Catalog, applies_to) -> dict[str, ExprType]:
    """Core attributes and the fields of every form in scope, with their types."""
    fields = {name: TEXT for name in CORE_ATTRIBUTES}
    for form in catalog.forms_for(applies_to):
        for f in form.content.get("fields", []):
            fields.setdefault(f["key"], field_type(f))
    return fields


class MetricTypes:
    """Checks every metric of one ruleset and works out the type it produces."""

    def __init__(self, doc: Document, catalog: Catalog, problems: list[Problem]):
        self.doc, self.problems = doc, problems
        self.metrics: dict = doc.content.get("metrics", {})
        self.profile_fields = profile_fields(catalog, doc.content.get("applies_to"))
        self.types: dict[str, ExprType | None] = {}
        self._visiting: list[str] = []

    def resolve(self) -> dict[str, ExprType | None]:
        """metric id → type (None where the metric is broken)."""
        for metric_id in self.metrics:
            self._type_of(metric_id)
        return self.types

    def _type_of(self, metric_id: str) -> ExprType | None:
        if metric_id in self.types:
            return self.types[metric_id]
        if metric_id in self._visiting:
            cycle = self._visiting[self._visiting.index(metric_id):] + [metric_id]
            self._error(("metrics", metric_id, "formula"), "formula cycle: " + " → ".join(cycle))
            self.types[metric_id] = None
            return None
        self._visiting.append(metric_id)
        spec = self.metrics[metric_id]
        path = ("metrics", metric_id)
        if "field" in spec:
            typ = self._field(path, spec["field"])
        elif "aggregate" in spec:
            typ = self._aggregate(path, spec)
        else:
            typ = self._formula(path, spec["formula"])
        self._visiting.pop()
        self.types.setdefault(metric_id, typ)
        return self.types[metric_id]

    def _error(self, path: tuple, message: str) -> None:
        self.problems.append(self.doc.problem(path, message))

    def _field(self, path: tuple, key: str) -> ExprType | None:
        if key in self.profile_fields:
            return self.profile_fields[key]
        scope = ", ".join(self.doc.content.get("applies_to", []))
        self._error(path + ("field",), f"field {key!r} is neither a core attribute nor a field "
                                       f"of a form for {scope}{did_you_mean(key, self.profile_fields)}")
        return None

    def _formula(self, path: tuple, text: str) -> ExprType | None:
        names = self._names(path + ("formula",), text)
        if names is None:
            return None
        env = {}
        for name in sorted(names - {"as_of"}):
            if "." in name:
                self._error(path + ("formula",), f"expression {excerpt(text)}: {name!r} is "
                                                 "attribute access; a formula names metrics and "
                                                 "as_of only")
                return None
            if name not in self.metrics:
                self._error(path + ("formula",), f"expression {excerpt(text)}: unknown metric "
                                                 f"{name!r}"
                                                 f"{did_you_mean(name, self.metrics)}")
                return None
            typ = self._type_of(name)
            if typ is None:
                return None
            env[name] = typ
        checked = check_expression(self.doc, path + ("formula",), text, env, self.problems)
        return checked[1] if checked else None

    def _names(self, path: tuple, text: str) -> frozenset | None:
        """The names ``text`` uses, or None (with a problem) when it does not parse."""
        try:
            return names_in(parse(text))
        except ExpressionError as exc:
            self._error(path, expression_message(text, exc))
            return None

    def _aggregate(self, path: tuple, spec: dict) -> ExprType | None:
        kind, of = spec["aggregate"], spec["of"]
        if of.strip() in FACT_COLUMNS:
            if kind != "count":
                self._error(path + ("of",), f"'of: {of.strip()}' counts rows and needs "
                                            f"aggregate: count, not {kind}")
                return None
            table, of_type = of.strip(), None
        else:
            table = self._table(path, spec)
            if table is None:
                return None
            checked = check_expression(self.doc, path + ("of",), of, fact_env(table), self.problems)
            if checked is None:
                return None
            of_type = checked[1]
        if "where" in spec:
            table = table or self._table(path, spec)
            check_expression(self.doc, path + ("where",), spec["where"], fact_env(table),
                             self.problems, expect=BOOLEAN)
        return self._aggregate_type(path, kind, of_type)

    def _table(self, path: tuple, spec: dict) -> str | None:
        """The one fact table an aggregate's ``of`` and ``where`` read."""
        tables: dict[str, tuple] = {}
        for key in ("of", "where"):
            if key not in spec or spec[key].strip() in FACT_COLUMNS:
                continue
            names = self._names(path + (key,), spec[key])
            if names is None:
                return None
            for name in sorted(names - {"as_of"}):
                table, _, column = name.partition(".")
                if not column or table not in FACT_COLUMNS:
                    self._error(path + (key,), f"expression {excerpt(spec[key])}: {name!r} is "
                                               "not a fact column; aggregates read columns such as "
                                               "orders.amount, never metrics or fields")
                    return None
                tables.setdefault(table, path + (key,))
        if len(tables) > 1:
            self._error(path, "an aggregate reads one fact table; this one names "
                              + " and ".join(sorted(tables)))
            return None
        if not tables:
            self._error(path + ("of",), "the aggregate names no fact column")
            return None
        return next(iter(tables))

    def _aggregate_type(self, path: tuple, kind: str, of_type: ExprType | None):
        if kind in ("count", "count_distinct"):
            return NUMBER
        numeric = of_type.kind in ("number", "decimal")
        if kind in NUMERIC_AGGREGATES and not numeric:
            self._error(path + ("of",), f"{kind} needs a number; 'of' is {of_type.kind}")
            return None
        if kind in ORDERED_AGGREGATES and of_type.kind == "boolean":
            self._error(path + ("of",), f"{kind} takes numbers, dates or text, not boolean")
            return None
        return NUMBER if numeric else of_type
