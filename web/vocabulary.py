"""Display names of the ids that definitions and runs use without a label of their own: task
kinds and channels that packs commonly use, customer types, run warnings. An id not listed here
is shown as written (definitions are data: nothing here decides behaviour)."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

TASK_KINDS = {"visit": _l("Visit"), "call": _l("Call"), "plan": _l("Account plan"),
              "support": _l("Support"), "review": _l("Review"), "meeting": _l("Meeting")}
CHANNELS = {"face_to_face": _l("face to face"), "phone": _l("phone"), "wechat": _l("WeChat"),
            "meeting": _l("meeting"), "email": _l("e-mail"), "online": _l("online")}
CUSTOMER_TYPES = {"hospital": _l("Hospital"), "pharmacy": _l("Pharmacy"),
                  "doctor": _l("Doctor"), "clinic": _l("Clinic"),
                  "distributor": _l("Distributor")}


def label(vocabulary: dict, key: str | None) -> str:
    return str(vocabulary.get(key, key or ""))


def task_kind(kind: str | None) -> str:
    return label(TASK_KINDS, kind)


def channel(name: str | None) -> str:
    return label(CHANNELS, name)


def customer_type(name: str | None) -> str:
    return label(CUSTOMER_TYPES, name)


def run_warning(warning: dict) -> str:
    """A run's warning (``engine.evaluation.run_warnings``) in the reader's language."""
    kind = warning.get("kind")
    try:
        if kind == "crowded_split":
            return _("%(customers)d of %(total)d customers score exactly on the %(rule)s split "
                     "of axis %(axis)s; consider mean or pNN.", customers=warning["customers"],
                     total=warning["of"], rule=warning["split"], axis=warning["axis"])
        if kind == "mostly_null_metric":
            return _("Metric %(metric)s is empty for %(customers)d of %(total)d customers.",
                     metric=warning["metric"], customers=warning["customers"],
                     total=warning["of"])
        if kind == "empty_segment":
            return _("Segment %(segment)s has no customers.", segment=warning["segment"])
    except (KeyError, TypeError, ValueError):
        pass
    return str(warning.get("message", ""))
