"""Per-customer columns of values with explicit nulls, and the number rules of SPEC §3.5.

A :class:`Vec` holds one value per customer in scope, in a fixed customer order: numbers as
float64 (NaN where null), text as an object array (None where null), dates as
``datetime64[D]`` (NaT where null), booleans as bool (False where null). The ``null`` mask is
the truth about nulls; the filler values only keep numpy operations quiet.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np

SCORE_DIGITS = 9
FIRST_INTEGRAL_DOUBLE = 2.0**52
KINDS = ("number", "text", "date", "boolean")
_DTYPES = {"number": np.float64, "text": object, "date": "datetime64[D]", "boolean": bool}
_FILLERS = {"number": np.nan, "text": None, "date": np.datetime64("NaT"), "boolean": False}


@dataclass(frozen=True, eq=False)
class Vec:
    """One value per customer: ``kind`` is ``number``, ``text``, ``date`` or ``boolean``."""

    kind: str
    values: np.ndarray
    null: np.ndarray

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown vector kind {self.kind!r}; known: {', '.join(KINDS)}")

    def __len__(self) -> int:
        return len(self.values)

    @classmethod
    def of(cls, kind: str, values: np.ndarray, null: np.ndarray | None = None) -> "Vec":
        """A vector from ``values`` of ``kind``; the filler is written where ``null`` is set."""
        values = np.asarray(values, dtype=_DTYPES[kind])
        if null is None:
            null = _null_of(kind, values)
        else:
            values = values.copy()
            values[null] = _FILLERS[kind]
        return cls(kind, values, np.asarray(null, dtype=bool))

    @classmethod
    def nulls(cls, kind: str, size: int) -> "Vec":
        """A vector of ``size`` nulls."""
        values = np.full(size, _FILLERS[kind], dtype=_DTYPES[kind])
        return cls(kind, values, np.ones(size, dtype=bool))

    @classmethod
    def full(cls, kind: str, value: Any, size: int) -> "Vec":
        """``value`` (a Python value, None for null) repeated ``size`` times."""
        if value is None:
            return cls.nulls(kind, size)
        if kind == "date":
            value = np.datetime64(value, "D")
        values = np.full(size, value, dtype=_DTYPES[kind])
        return cls(kind, values, np.zeros(size, dtype=bool))

    @classmethod
    def from_python(cls, kind: str, items: Iterable[Any]) -> "Vec":
        """A vector from Python values (``datetime.date`` for dates, None for null)."""
        items = list(items)
        null = np.fromiter((item is None for item in items), dtype=bool, count=len(items))
        if kind == "number":
            values = np.array([np.nan if v is None else float(v) for v in items], dtype=float)
        elif kind == "date":
            values = np.array([v if v is not None else "NaT" for v in items],
                              dtype="datetime64[D]")
        elif kind == "boolean":
            values = np.array([bool(v) for v in items], dtype=bool)
        else:
            values = np.empty(len(items), dtype=object)
            values[:] = items
        return cls(kind, values, null)

    def take(self, index: np.ndarray) -> "Vec":
        """The values at ``index`` (positions in this vector)."""
        return Vec(self.kind, self.values[index], self.null[index])

    def to_python(self) -> list[Any]:
        """Plain Python values: float, str, ``datetime.date``, bool, or None."""
        items = self.values.astype(object) if self.kind == "date" else self.values.tolist()
        return [None if missing else item for item, missing in zip(items, self.null.tolist())]


def _null_of(kind: str, values: np.ndarray) -> np.ndarray:
    if kind == "number":
        return np.isnan(values)
    if kind == "date":
        return np.isnat(values)
    if kind == "text":
        return np.equal(values, None)
    return np.zeros(len(values), dtype=bool)


def round_half_away_array(values: np.ndarray, digits: int = SCORE_DIGITS) -> np.ndarray:
    """:func:`engine.expr.round_half_away` over an array, bit for bit (NaN stays NaN)."""
    scale = 10.0**digits
    with np.errstate(over="ignore", invalid="ignore"):
        magnitude = np.abs(values) * scale
        floor = np.floor(magnitude)
        half_up = (magnitude - floor >= 0.5).astype(np.float64)
        rounded = np.where(magnitude < FIRST_INTEGRAL_DOUBLE, floor + half_up, magnitude)
        return np.where(values < 0, -1.0, 1.0) * rounded / scale


def rounded(vec: Vec) -> Vec:
    """A number vector rounded to 9 decimals (other kinds unchanged)."""
    if vec.kind != "number":
        return vec
    return Vec("number", round_half_away_array(vec.values), vec.null)


def number_text(value: float) -> str:
    """A number in shortest round-trip form without a trailing ``.0`` (``-0`` reads ``0``)."""
    value = float(value)
    if value == 0:
        return "0"
    text = repr(value)
    return text[:-2] if text.endswith(".0") else text


def value_text(value: Any) -> str | None:
    """The text a value shows as in map keys and exports: numbers as :func:`number_text`,
    booleans ``true``/``false``, dates ``YYYY-MM-DD``; None stays None."""
    if value is None:
        return None
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, int | float | np.number):
        return number_text(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def texts_of(vec: Vec) -> np.ndarray:
    """:func:`value_text` of every value (None where null), computed once per distinct value."""
    texts = np.empty(len(vec), dtype=object)
    present = ~vec.null
    if not present.any():
        return texts
    values = vec.values[present]
    if vec.kind == "text":
        texts[present] = values
        return texts
    distinct, inverse = np.unique(values, return_inverse=True)
    if vec.kind == "date":
        distinct = distinct.astype(object)
    labels = np.array([value_text(v) for v in distinct.tolist()], dtype=object)
    texts[present] = labels[inverse]
    return texts
