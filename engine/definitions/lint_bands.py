"""Lint of ``bands`` scores: gaps between bands, overlaps, bands that never apply.

Bands are tried in order and the first whose ``min ≤ v ≤ max`` holds wins, so the usual
staircase (``{min: 10}``, ``{min: 6}``, ``{min: 3}``) is fine: each band contains the ones
above it. Warned: a band that only *partly* overlaps an earlier one (the overlap silently
goes to the earlier band), a band the earlier ones cover whole, and a hole between the
lowest and the highest bound that no band takes (its values get ``else``). For a metric
that only takes whole numbers (counts, integer fields), a hole without a whole number in it
is no hole.
"""
from __future__ import annotations

import math

from engine.definitions.documents import Document
from engine.definitions.lint_conditions import (Interval, Numbers, complement, intersect,
                                                is_empty, minus)
from engine.definitions.lint_warnings import LintWarning, make_warning, number


def band_interval(band: dict) -> Interval:
    lo, hi = band.get("min"), band.get("max")
    return Interval(-math.inf if lo is None else float(lo), lo is not None,
                    math.inf if hi is None else float(hi), hi is not None)


def _has_whole_number(part: Interval) -> bool:
    if math.isinf(part.lo) or math.isinf(part.hi):
        return True
    first = part.lo if part.lo_closed and float(part.lo).is_integer() else math.floor(part.lo) + 1
    return first < part.hi or (first == part.hi and part.hi_closed)


def _meaningful(part: Interval, whole: bool) -> bool:
    """Whether some value of the metric can fall in ``part``."""
    return _has_whole_number(part) if whole else not part.empty


def lint_bands(doc: Document, path: tuple, score: dict, whole: bool) -> list[LintWarning]:
    """Warnings for the ``bands`` score at ``path``; ``whole`` when the metric takes only
    whole numbers."""
    bands = [band_interval(b) for b in score.get("bands", [])]
    warnings: list[LintWarning] = []
    taken = Numbers(())
    for j, band in enumerate(bands):
        here = path + ("bands", j)
        reach = minus(Numbers((band,)), taken)
        if not any(_meaningful(p, whole) for p in reach.parts):
            warnings.append(make_warning(doc, here, "band_unreachable", band=j + 1))
        else:
            warnings += _overlaps(doc, here, bands, j, whole)
        taken = Numbers(taken.parts + (band,))
    warnings += _gaps(doc, path, bands, taken, score.get("else", 0), whole)
    return warnings


def _overlaps(doc, here, bands, j, whole) -> list[LintWarning]:
    band = bands[j]
    for i, earlier in enumerate(bands[:j]):
        common = intersect(Numbers((earlier,)), Numbers((band,)))
        inside = is_empty(minus(Numbers((earlier,)), Numbers((band,))))
        wide = [p for p in common.parts if p.wide and _meaningful(p, whole)]
        if wide and not inside:
            return [make_warning(doc, here, "band_overlap", band=j + 1, other=i + 1,
                                 low=number(wide[0].lo), high=number(wide[0].hi))]
    return []


def _gaps(doc, path, bands, taken, otherwise, whole) -> list[LintWarning]:
    if not bands:
        return []
    low = min(b.lo for b in bands)
    high = max(b.hi for b in bands)
    holes = intersect(complement(taken), Numbers((Interval(low, True, high, True),)))
    return [make_warning(doc, path + ("bands", _band_after(bands, h)), "band_gap",
                         low=number(h.lo), high=number(h.hi), points=number(otherwise))
            for h in holes.parts if h.wide and _meaningful(h, whole)
            and not math.isinf(h.lo) and not math.isinf(h.hi)]


def _band_after(bands: list[Interval], hole: Interval) -> int:
    """The index of the first band that starts where ``hole`` ends."""
    return next((j for j, band in enumerate(bands) if band.lo == hole.hi), 0)
