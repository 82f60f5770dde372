"""How the customer page words things: numbers, the band or entry an item matched, splits,
field problems, in the user's language. Text from definitions stays the definition's own."""
from __future__ import annotations

import ast
import datetime as dt
import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from engine.definitions.specs import FieldSpec, LocalText
from engine.evaluation.vectors import value_text
from engine.forms import FieldProblem, cell_text, number_text
from web.i18n import localized

_BAND = re.compile(r"band (\d+) \((.*)\)")
_POINTS = re.compile(r"\(([-0-9.e]+) points\)")
_LINEAR = re.compile(r"linear from (\S+) to (\S+)")

STATUS = {"open": _l("Open"), "in_progress": _l("In progress"), "done": _l("Done"),
          "cancelled": _l("Cancelled"), "pending": _l("Pending"), "approved": _l("Approved")}
KINDS = {"visit": _l("Visit"), "call": _l("Call"), "plan": _l("Plan"),
         "support": _l("Support"), "review": _l("Review"),
         # visit channels
         "face_to_face": _l("Face to face"), "phone": _l("Phone"), "wechat": _l("WeChat"),
         "meeting": _l("Meeting")}


def label_of(text) -> str:
    """A definition's human text (LocalText, a locale map or a string) in this language."""
    if isinstance(text, LocalText):
        return text.get(_locale())
    return localized(text)


def _locale() -> str:
    from web.i18n import current_locale
    return current_locale()


def shown(value) -> str:
    """A value as a rep reads it: grouped digits, at most two decimals ("—" for none)."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value.is_integer():
            return f"{int(value):,}"
        if abs(value) < 1:
            return number_text(float(f"{value:.3g}"))
        return f"{value:,.2f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def money(cents: int | None) -> str:
    return "—" if cents is None else f"{cents / 100:,.2f}"


def quantity(milli: int | None) -> str:
    return "—" if milli is None else number_text(milli / 1000)


def matched_text(matched: str) -> str:
    """``explain``'s ``matched`` (band, map entry, percentile…) in words for a rep."""
    if matched.startswith("missing"):
        points = _POINTS.search(matched)
        return _("no value: %(points)s points for a missing value",
                 points=points.group(1) if points else "?")
    if matched.startswith("percentile"):
        if "descending" in matched:
            return _("rank among the customers in scope (the lower, the more points)")
        return _("rank among the customers in scope (the higher, the more points)")
    linear = _LINEAR.match(matched)
    if linear:
        return _("scaled from %(a)s (0 points) to %(b)s (10 points)",
                 a=linear.group(1), b=linear.group(2))
    if matched.startswith("else"):
        points = _POINTS.search(matched)
        return _("no band or entry matched: %(points)s points",
                 points=points.group(1) if points else "?")
    if matched.startswith("map "):
        try:
            key = ast.literal_eval(matched[4:])
        except (ValueError, SyntaxError):
            key = matched[4:]
        return _("entry “%(key)s”", key=key)
    band = _BAND.match(matched)
    if band:
        return _("band %(n)s: %(range)s", n=band.group(1),
                 range=band.group(2).replace("value", _("value")))
    return matched


def side_text(side: str | None) -> str:
    return {"high": _("high"), "low": _("low")}.get(side or "", _("none"))


def split_text(axis) -> str:
    """The axis score against its split, and the stability margin when there is one."""
    split = axis.split
    value = split.get("value")
    rule = split.get("rule")
    out = _("Score %(score)s against the split %(split)s (%(rule)s): %(side)s",
            score=shown(axis.score), split=shown(value), rule=_rule_text(rule),
            side=side_text(split.get("side")))
    if "group" in split:
        out += " " + _("(compared within group “%(group)s”)", group=split["group"] or "—")
    if split.get("margin"):
        out += " " + _("Stability margin %(m)s points; previous side: %(prev)s.",
                       m=value_text(split["margin"]), prev=side_text(split.get("previous_side")))
    return out


def _rule_text(rule) -> str:
    if rule in (None, "median"):
        return _("median")
    if rule == "mean":
        return _("mean")
    if isinstance(rule, str) and rule.startswith("p"):
        return _("percentile %(p)s", p=rule[1:])
    return _("fixed value")


def status_text(status: str) -> str:
    return str(STATUS.get(status, status))


def kind_text(kind: str) -> str:
    return str(KINDS.get(kind, kind))


# --- problems at the field -----------------------------------------------------------------------

_AT_LEAST = re.compile(r"at least (\S+)$")
_AT_MOST = re.compile(r"at most (\S+)$")
_AT_MOST_CHARS = re.compile(r"at most (\d+) characters$")


def problem_text(problem: FieldProblem, field: FieldSpec | None) -> str:
    """A profile problem as a sentence for the person who typed the value."""
    expected = problem.expected
    fixed = {
        "a value": _("Fill in this field."),
        "an integer": _("Enter a whole number."),
        "a number": _("Enter a number."),
        "true or false": _("Choose yes or no."),
        "true, false, 1, 0, yes or no": _("Choose yes or no."),
        "a date as YYYY-MM-DD": _("Enter a date as YYYY-MM-DD."),
        "an e-mail address": _("Enter an e-mail address such as name@example.com."),
        "a URL starting with http:// or https://":
            _("Enter a web address starting with http:// or https://."),
        "a phone number": _("Enter a phone number."),
        "each option once": _("Choose each option once."),
        "a list of options": _("Choose from the options."),
    }
    if expected in fixed:
        return fixed[expected]
    if expected.startswith("one of"):
        return _("Choose one of the options.")
    if match := _AT_MOST_CHARS.match(expected):
        return _("At most %(n)s characters.", n=match.group(1))
    if match := _AT_LEAST.match(expected):
        return _("Enter at least %(n)s.", n=match.group(1))
    if match := _AT_MOST.match(expected):
        return _("Enter at most %(n)s.", n=match.group(1))
    if expected.startswith("text matching"):
        return _("This value does not have the expected form.")
    return _("This value is not accepted here.")


def challenge_errors(problems) -> dict[str, str]:
    """A refused challenge's problems by form field."""
    errors = {}
    for problem in problems:
        key = (problem.path or "$.segment").removeprefix("$.")
        if key == "segment":
            errors["segment"] = _("Choose one of the segments.")
        elif key == "until":
            errors["until"] = _("The date may not be in the past.")
        elif key == "reason":
            errors["reason"] = _("Give a reason.")
        else:
            errors["ruleset"] = _("Choose a ruleset.")
    return errors


def sections(form) -> list[tuple]:
    """The form's fields grouped by consecutive ``section`` (None: no heading)."""
    groups: list[tuple] = []
    for field in form.fields:
        key = dict(field.section.by_locale) if field.section else None
        if groups and groups[-1][0] == key:
            groups[-1][1].append(field)
        else:
            groups.append((key, [field]))
    return [(LocalText.of(key) if key else None, fields) for key, fields in groups]


def cell_of(field, values, cells) -> str:
    """What a field's control shows: the text typed (after a refused save), else the value."""
    if cells is not None and field.key in cells:
        return cells[field.key]
    return cell_text(values.get(field.key))


def option_texts(field) -> list[str]:
    return [number_text(o.value) for o in field.options]
