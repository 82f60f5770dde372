"""Lint warnings: things in a valid definition that are probably not what the admin meant.

A warning is located like a validation problem (file, line, definition, JSON path) and
carries a ``code`` and the ``params`` of its message, so that the web can show the message in
the reader's language from the same English text (``MESSAGES``) that the CLI prints.
"""
from __future__ import annotations

from dataclasses import dataclass

from engine.definitions.documents import Document
from engine.definitions.yamlsafe import json_path

MESSAGES = {
    "band_gap": "Values between %(low)s and %(high)s fall in no band and get the 'else' "
                "points (%(points)s).",
    "band_overlap": "Band %(band)s overlaps band %(other)s from %(low)s to %(high)s; those "
                    "values get the points of band %(other)s, the first that matches.",
    "band_unreachable": "Band %(band)s never applies: the bands above it already take all of "
                        "its values.",
    "map_missing_option": "Options of field %(field)s missing from the map: %(values)s. "
                          "Customers with them get the 'else' points (%(points)s).",
    "map_missing_data": "The data holds values of %(source)s that the map does not list: "
                        "%(values)s. They get the 'else' points (%(points)s).",
    "metric_unused": "Metric %(metric)s is computed but never scored: no axis item, tier or "
                     "other metric uses it.",
    "metric_unused_chain": "Metric %(metric)s is only used by %(users)s, which is never scored "
                           "either.",
    "tier_never_true": "Tier %(tier)s can never match: its condition contradicts itself or "
                       "asks for an axis score outside 0–100.",
    "tier_shadowed": "Tier %(tier)s can never match: the tiers above it (%(earlier)s) already "
                     "take every customer it would take.",
    "tier_unreachable": "The last tier %(tier)s never gets a customer: the tiers above it "
                        "already take everyone.",
    "visible_if_never_true": "Field %(field)s is never shown: its visible_if condition can "
                             "never be true.",
    "visible_if_unknown_option": "The visible_if of field %(field)s compares %(other)s with "
                                 "%(value)s, which is not one of its options.",
    "axis_dominant_item": "Item %(metric)s carries %(share)s %% of the weight of axis "
                          "%(axis)s; the other items barely move its score.",
}


@dataclass(frozen=True)
class LintWarning:
    """One warning, located as precisely as the source allows."""

    code: str
    params: tuple[tuple[str, str], ...]
    file: str | None = None
    line: int | None = None
    column: int | None = None
    definition: str | None = None
    path: str | None = None

    @property
    def message(self) -> str:
        return MESSAGES[self.code] % dict(self.params)

    def location(self) -> str:
        """``file:line:column`` as much as is known."""
        parts = [self.file or "<input>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def __str__(self) -> str:
        where = [self.location()] + [p for p in (self.definition, self.path) if p]
        return f"{': '.join(where)}: warning {self.code}: {self.message}"


def quoted(value) -> str:
    return repr(str(value))


def number(value) -> str:
    """A bound or weight as an admin wrote it: ``30``, ``0.5``, ``∞``."""
    if value in (float("inf"), float("-inf")):
        return "∞" if value > 0 else "−∞"
    value = float(value)
    return str(int(value)) if value.is_integer() else f"{value:g}"


def make_warning(doc: Document, path: tuple, code: str, at_key: bool = False,
                 **params) -> LintWarning:
    """A warning ``code`` about the value at ``path`` of ``doc`` (its key's line if ``at_key``)."""
    line, column = doc.lines.find(path, key=at_key) or (None, None)
    return LintWarning(code, tuple(sorted((k, str(v)) for k, v in params.items())),
                       doc.file, line, column, doc.label, json_path(path))


def sort_warnings(warnings) -> list[LintWarning]:
    unique = dict.fromkeys(warnings)
    return sorted(unique, key=lambda w: (w.file or "", w.line or 0, w.column or 0,
                                         w.path or "", w.code, w.params))
