"""The database schema as SQLAlchemy models; every table's class is importable from here.

Schema changes go through an Alembic migration in ``engine/migrations/versions`` (see
``engine.migrate``); ``Base.metadata`` is what the migrations are checked against.
"""
from .audit import AuditEntry, Notification
from .base import Base, UTCDateTime, utcnow
from .definitions import (
    DEFINITION_KINDS,
    SOURCE_FORMATS,
    Definition,
    DefinitionVersion,
    DefinitionVersionImmutable,
    Pack,
)
from .facts import Order, Payment, Product, Visit
from .people import CUSTOMER_STATUSES, ROLES, SENIORITIES, Customer, CustomerAlias, User
from .runs import (
    OVERRIDE_STATUSES,
    RUN_STATUSES,
    RUN_TRIGGERS,
    TICK_STATUSES,
    CustomerScore,
    EvaluationRun,
    SchedulerTick,
    SegmentOverride,
)
from .jobs import JOB_STATUSES, Job
from .golden import GoldenCustomer
from .report_cache import ReportResult
from .tokens import TOKEN_PURPOSES, AccessToken
from .workflow import TASK_STATUSES, UNCLASSIFIED, Task, WorkflowState

__all__ = [
    "Base",
    "UTCDateTime",
    "utcnow",
    "User",
    "Customer",
    "CustomerAlias",
    "Product",
    "Order",
    "Payment",
    "Visit",
    "Pack",
    "Definition",
    "DefinitionVersion",
    "DefinitionVersionImmutable",
    "EvaluationRun",
    "CustomerScore",
    "SegmentOverride",
    "SchedulerTick",
    "WorkflowState",
    "Task",
    "Notification",
    "AuditEntry",
    "AccessToken",
    "Job",
    "GoldenCustomer",
    "ReportResult",
    "JOB_STATUSES",
    "TOKEN_PURPOSES",
    "ROLES",
    "SENIORITIES",
    "CUSTOMER_STATUSES",
    "DEFINITION_KINDS",
    "SOURCE_FORMATS",
    "RUN_STATUSES",
    "RUN_TRIGGERS",
    "OVERRIDE_STATUSES",
    "TICK_STATUSES",
    "TASK_STATUSES",
    "UNCLASSIFIED",
]
