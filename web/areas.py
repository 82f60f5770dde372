"""The areas of the app (SPEC §5.1) and which roles may enter each: the home page and the
navigation list them from here."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

ALL = ("admin", "manager", "rep", "staff")


@dataclass(frozen=True)
class Area:
    path: str
    title: object          # a lazy translation
    description: object
    roles: tuple[str, ...]


AREAS = (
    # Staff (the marketing team, say) receive tasks from workflows too.
    Area("/tasks", _l("Tasks"), _l("Your to-do list: overdue, this week, later."), ALL),
    Area("/customers", _l("Customers"), _l("Customers, their segments, history and tasks."),
         ALL),
    Area("/approvals", _l("Approvals"), _l("Segment challenges waiting for a decision."),
         ("admin", "manager")),
    Area("/reports/", _l("Reports"),
         _l("Quadrant map, segment counts, migration, SOP compliance."), ("admin", "manager")),
    Area("/runs", _l("Evaluation runs"), _l("Scoring runs, their warnings and results."),
         ("admin", "manager")),
    Area("/studio/", _l("Definitions"), _l("Forms, rules and workflows: edit, preview, publish."),
         ("admin",)),
    Area("/admin/imports", _l("Data imports"),
         _l("Upload users, customers, orders, payments, visits."),
         ("admin",)),
    Area("/admin/users", _l("Users and teams"), _l("Accounts, roles, teams and managers."),
         ("admin",)),
    Area("/admin/audit", _l("Audit log"), _l("Who changed what, and when."), ("admin",)),
)


def areas_for(role: str) -> list[Area]:
    return [area for area in AREAS if role in area.roles]
