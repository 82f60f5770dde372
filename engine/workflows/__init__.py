"""Workflows: segment state machines driven by evaluation runs, and daily task maintenance.

``apply_run(engine, run_id)`` follows a stored run; ``maintain(engine, today)`` is the daily job
(it lives with the tasks it maintains and is re-exported here).
"""
from engine.tasks.maintenance import MaintenanceReport, maintain
from engine.workflows.apply import apply_run, apply_stored_run
from engine.workflows.report import WorkflowOutcome, WorkflowReport

__all__ = ["apply_run", "apply_stored_run", "maintain", "WorkflowReport", "WorkflowOutcome",
           "MaintenanceReport"]
