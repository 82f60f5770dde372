"""The ruleset editor's form as changes to the ruleset's text.

Every control is named ``<kind>|<json path>[|<part>]`` (``num|$.window.months``,
``band|$.axes.value.items[1].score.bands[0]|min``), so one parser reads the whole form: numbers
and texts are set where they are, a band row, a map, a label or the quadrant's split is set as
one value. A value that cannot be read is a ``FieldError`` at its path; buttons named ``op``
move, remove or add list entries after the fields are set.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from engine.definitions.ruleset_edit import Append, Change, Move, Remove, SetValue
from engine.definitions.yamlsafe import json_path

_PART = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")
SCORE_KINDS = ("percentile", "bands", "map", "linear")
SPLIT = re.compile(r"median|mean|p(100(\.0+)?|[0-9]{1,2}(\.[0-9]+)?)\Z")
NEW_ENTRIES = {
    "band": {"min": 0, "points": 0},
    "item": None,            # filled with a metric that is not scored yet
    "tier": None,            # a new tier before the last one (which takes everyone else)
}


@dataclass(frozen=True)
class FieldError:
    path: str
    message: str


def parse_path(text: str) -> tuple:
    """``$.axes.value.items[1]`` → ``("axes", "value", "items", 1)``; ValueError if malformed."""
    if not text.startswith("$"):
        raise ValueError(text)
    parts, position = [], 1
    while position < len(text):
        match = _PART.match(text, position)
        if match is None:
            raise ValueError(text)
        parts.append(match.group(1) if match.group(1) is not None else int(match.group(2)))
        position = match.end()
    return tuple(parts)


def number(text: str):
    """``"12"`` → 12, ``"0.5"`` → 0.5; ValueError otherwise."""
    value = text.strip().replace(",", "")
    if not re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", value):
        raise ValueError(text)
    return float(value) if "." in value else int(value)


class FormReader:
    """Reads the submitted form into changes and errors (``content`` is the text's data)."""

    def __init__(self, form, content: dict):
        self.form, self.content = form, content
        self.changes: list[Change] = []
        self.errors: list[FieldError] = []
        self.groups: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)

    def read(self) -> tuple[list[Change], list[FieldError]]:
        replaced = self._replaced_scores()
        for name in self.form:
            kind, _, rest = name.partition("|")
            path, _, part = rest.partition("|")
            if not path.startswith("$"):
                continue
            if kind != "score" and any(path == p or path.startswith(p + ".")
                                       for p in replaced):
                continue        # the fields of a score whose kind changes are left behind
            try:
                parse_path(path)
            except ValueError:
                self.errors.append(FieldError(path, "this field names no place in the ruleset"))
                continue
            if part:
                self.groups[(kind, path)][part] = self.form.get(name, "")
            else:
                self._single(kind, path, self.form.get(name, ""))
        for (kind, path), parts in self.groups.items():
            self._group(kind, path, parts)
        self._new_metric()
        self._op(self.form.get("op", ""))
        return self.changes, self.errors

    def _replaced_scores(self) -> set[str]:
        """The paths of the scores whose kind the form changes."""
        replaced = set()
        for name in self.form:
            kind, _, path = name.partition("|")
            if kind != "score" or not path.startswith("$"):
                continue
            try:
                current = _get(self.content, parse_path(path))
            except ValueError:
                continue
            current_kind = (current if isinstance(current, str)
                            else next(iter(current or {}), None))
            if self.form.get(name) != current_kind:
                replaced.add(path)
        return replaced

    def _set(self, path: str, value) -> None:
        self.changes.append(SetValue(parse_path(path), value))

    def _number(self, path: str, text: str, optional: bool = True):
        if not text.strip():
            if not optional:
                self.errors.append(FieldError(path, "a number is required"))
            return None
        try:
            return number(text)
        except ValueError:
            self.errors.append(FieldError(path, f"{text.strip()[:40]!r} is not a number"))
            raise

    def _single(self, kind: str, path: str, text: str) -> None:
        try:
            if kind == "num":
                self._set(path, self._number(path, text))
            elif kind == "req":
                self._set(path, self._number(path, text, optional=False))
            elif kind == "str":
                self._set(path, text.strip() or None)
            elif kind == "list":
                self._set(path, [v.strip() for v in re.split(r"[,，\s]+", text) if v.strip()])
            elif kind == "score":
                self._score_kind(path, text)
            elif kind == "pct":
                self._set(path, "percentile" if text != "desc" else {"percentile": "desc"})
        except ValueError:
            return

    def _score_kind(self, path: str, kind: str) -> None:
        current = _get(self.content, parse_path(path))
        current_kind = current if isinstance(current, str) else next(iter(current or {}), None)
        if kind == current_kind or kind not in SCORE_KINDS:
            return
        fresh = {"percentile": "percentile",
                 "bands": {"bands": [{"min": 0, "points": 10}], "else": 0},
                 "map": {"map": {}, "else": 0},
                 "linear": {"linear": {"from": 0, "to": 100}}}[kind]
        self._set(path, fresh)

    def _group(self, kind: str, path: str, parts: dict[str, str]) -> None:
        try:
            if kind == "band":
                self._band(path, parts)
            elif kind == "label":
                self._label(path, parts)
            elif kind == "map":
                self._map(path, parts)
            elif kind == "split":
                self._split(path, parts)
        except ValueError:
            return

    def _band(self, path: str, parts: dict[str, str]) -> None:
        band = {}
        for key in ("min", "max"):
            value = self._number(f"{path}.{key}", parts.get(key, ""))
            if value is not None:
                band[key] = value
        band["points"] = self._number(f"{path}.points", parts.get("points", ""), optional=False)
        current = _get(self.content, parse_path(path))
        if isinstance(current, dict) and _same_band(current, band):
            return
        self._set(path, band)

    def _label(self, path: str, parts: dict[str, str]) -> None:
        zh, en = parts.get("zh", "").strip(), parts.get("en", "").strip()
        current = _get(self.content, parse_path(path))
        if isinstance(current, str) and zh == en == current:
            return
        if not zh and not en:
            self.errors.append(FieldError(path, "a label needs a Chinese or an English text"))
            return
        self._set(path, {k: v for k, v in (("zh", zh), ("en", en)) if v})

    def _map(self, path: str, parts: dict[str, str]) -> None:
        entries = {}
        rows = sorted({int(k.split(":")[1]) for k in parts if re.fullmatch(r"(key|pts):\d+", k)})
        for row in rows:
            key = parts.get(f"key:{row}", "").strip()
            points = parts.get(f"pts:{row}", "")
            if not key and not points.strip():
                continue
            if not key:
                self.errors.append(FieldError(f"{path}.map", f"row {row + 1} has points but "
                                                             "no value"))
                continue
            entries[key] = self._number(f"{path}.map", points, optional=False)
        current = _get(self.content, parse_path(path)) or {}
        if {str(k): v for k, v in (current.get("map") or {}).items()} == entries:
            return
        self._set(f"{path}.map", entries)

    def _split(self, path: str, parts: dict[str, str]) -> None:
        values = {}
        for axis, text in parts.items():
            text = text.strip()
            if SPLIT.match(text):
                values[axis] = text
                continue
            try:
                values[axis] = number(text)
            except ValueError:
                self.errors.append(FieldError(f"{path}.{axis}", f"{text[:40]!r} is not median, "
                                                                "mean, pNN or a number"))
                return
        current = _get(self.content, parse_path(path))
        if current is None:
            current = "median"
        if not isinstance(current, dict):
            if all(v == current for v in values.values()):
                return
        elif {k: v for k, v in current.items()} == values:
            return
        distinct = set(map(str, values.values()))
        self._set(path, next(iter(values.values())) if len(distinct) == 1 and not
                  isinstance(current, dict) else values)

    def _new_metric(self) -> None:
        metric_id = self.form.get("new_metric_id", "").strip()
        if not metric_id:
            return
        kind = self.form.get("new_metric_kind", "formula")
        text = self.form.get("new_metric_text", "").strip()
        if not re.fullmatch(r"[a-z][a-z0-9_]*", metric_id):
            self.errors.append(FieldError("$.metrics", f"{metric_id[:40]!r}: an id is a "
                                          "lowercase letter followed by lowercase letters, "
                                          "digits or '_'"))
            return
        if metric_id in (self.content.get("metrics") or {}):
            self.errors.append(FieldError("$.metrics", f"metric {metric_id!r} already exists"))
            return
        spec = ({"aggregate": "sum", "of": text} if kind == "aggregate" else {kind: text})
        self.changes.append(SetValue(("metrics", metric_id), spec))

    def _op(self, op: str) -> None:
        """``move|PATH|I|J``, ``remove|PATH``, ``append|PATH|band`` or ``append|PATH|item``."""
        verb, *args = op.split("|") if op else ("",)
        try:
            if verb == "move" and len(args) == 3:
                self.changes.append(Move(parse_path(args[0]), int(args[1]), int(args[2])))
            elif verb == "remove" and len(args) == 1:
                self.changes.append(Remove(parse_path(args[0])))
            elif verb == "append" and len(args) == 2 and args[1] in NEW_ENTRIES:
                entry = self._new_entry(args[1])
                if entry is None:
                    self.errors.append(FieldError(args[0], "every metric is scored already; "
                                                           "add a metric first"))
                    return
                self.changes.append(Append(parse_path(args[0]), entry))
                if args[1] == "tier":
                    count = len(_get(self.content, parse_path(args[0])) or [])
                    self.changes.append(Move(parse_path(args[0]), count, max(count - 1, 0)))
        except ValueError:
            self.errors.append(FieldError("$", f"unknown action {op[:80]!r}"))

    def _new_entry(self, what: str):
        if what == "tier":
            return self._new_tier()
        if what != "item":
            return dict(NEW_ENTRIES[what])
        scored = {i.get("metric") for a in (self.content.get("axes") or {}).values()
                  for i in a.get("items", [])}
        free = [m for m in (self.content.get("metrics") or {}) if m not in scored]
        if not free:
            return None
        return {"metric": free[0], "weight": 1, "score": "percentile"}


    def _new_tier(self) -> dict:
        tiers = (self.content.get("classification") or {}).get("tiers") or []
        taken = {t.get("id") for t in tiers if isinstance(t, dict)}
        number = next(n for n in range(len(tiers) + 1, len(tiers) + 1000)
                      if f"tier_{n}" not in taken)
        axis = next(iter(self.content.get("axes") or {"value": None}))
        return {"id": f"tier_{number}", "label": {"zh": f"新层级 {number}",
                                                  "en": f"New tier {number}"},
                "color": "#8d99ae", "when": f"{axis} >= 50"}


def _same_band(current: dict, band: dict) -> bool:
    return ({k: current.get(k) for k in ("min", "max", "points")}
            == {k: band.get(k) for k in ("min", "max", "points")})


def _get(content, path: tuple):
    node = content
    for key in path:
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
            node = node[key]
        else:
            return None
    return node


def field_path(path: tuple) -> str:
    return json_path(path)
