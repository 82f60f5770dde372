"""Tasks: assignment, lifecycle (open → in_progress → done | cancelled), completion effects,
listing and daily maintenance."""
from engine.tasks.listing import LIST_FIELDS, list_tasks
from engine.tasks.operations import Completion, cancel_task, complete_task, start_task

__all__ = ["LIST_FIELDS", "list_tasks", "Completion", "start_task", "complete_task",
           "cancel_task"]
