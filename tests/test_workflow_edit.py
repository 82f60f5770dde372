"""Structured edits of a workflow's text (the studio's workflow editor): the edit changes what
it names and nothing else; comments, order and untouched text stay as written."""
from __future__ import annotations

import dataclasses
import difflib
import json
from pathlib import Path

import pytest

from engine.definitions import workflow_edit
from engine.definitions.workflow_edit import TaskEdit, TransitionEdit, WorkflowEdit
from engine.errors import InvalidInput

ROOT = Path(__file__).resolve().parents[1]
TEXT = (ROOT / "workflows" / "quadrant_followup.yaml").read_text()
NAME = "workflows/quadrant_followup.yaml"


def _side(value) -> tuple:
    return tuple(value) if isinstance(value, list) else (value,)


def _as_edit(text: str) -> WorkflowEdit:
    """The edit that says what ``text`` already says (what the editor's form submits)."""
    content = json.loads(json.dumps(workflow_edit.load(text, NAME)))

    def task(t: dict) -> TaskEdit:
        timing = "every_days" if "every_days" in t else "due_in_days"
        return TaskEdit(titles=dict(t["title"]), kind=t["kind"], timing=timing, days=t[timing],
                        channel=t.get("channel", ""), priority=t.get("priority", ""),
                        assignee=dict(t.get("assignee") or {}))

    return WorkflowEdit(
        on_enter={segment: tuple(ids) for segment, ids in content["on_enter"].items()},
        transitions=tuple(TransitionEdit(_side(m["from"]), _side(m["to"]), tuple(m["tasks"]))
                          for m in content.get("on_transition", [])),
        tasks={task_id: task(t) for task_id, t in content["tasks"].items()})


def _changed_lines(old: str, new: str) -> tuple[list[str], list[str]]:
    diff = list(difflib.ndiff(old.splitlines(), new.splitlines()))
    return ([line[2:] for line in diff if line.startswith("- ")],
            [line[2:] for line in diff if line.startswith("+ ")])


def test_the_same_edit_gives_the_same_text():
    assert workflow_edit.apply(TEXT, _as_edit(TEXT), NAME) == TEXT


def test_a_task_field_changes_alone_and_comments_stay():
    edit = _as_edit(TEXT)
    tasks = dict(edit.tasks)
    tasks["weekly_visit"] = dataclasses.replace(tasks["weekly_visit"], days=5, priority="high")
    new = workflow_edit.apply(TEXT, dataclasses.replace(edit, tasks=tasks), NAME)
    removed, added = _changed_lines(TEXT, new)
    assert removed == ["    every_days: 7"]
    assert added == ["    every_days: 5", "    priority: high"]
    assert "# Leaving a segment cancels the open recurring tasks that segment started." in new
    assert "# a state machine per customer" in new


def test_a_one_off_task_becomes_recurring():
    edit = _as_edit(TEXT)
    tasks = dict(edit.tasks)
    tasks["roi_review"] = dataclasses.replace(tasks["roi_review"], timing="every_days", days=90)
    new = workflow_edit.apply(TEXT, dataclasses.replace(edit, tasks=tasks), NAME)
    roi = workflow_edit.load(new, NAME)["tasks"]["roi_review"]
    assert roi["every_days"] == 90 and "due_in_days" not in roi


def test_titles_assignee_and_channel():
    edit = _as_edit(TEXT)
    tasks = dict(edit.tasks)
    tasks["monthly_call"] = dataclasses.replace(
        tasks["monthly_call"], titles={"zh": "致电{{ customer.name }}", "en": ""}, channel="",
        assignee={"role": "rep", "min_seniority": "senior"})
    new = workflow_edit.apply(TEXT, dataclasses.replace(edit, tasks=tasks), NAME)
    call = workflow_edit.load(new, NAME)["tasks"]["monthly_call"]
    assert dict(call["title"]) == {"zh": "致电{{ customer.name }}"}
    assert "channel" not in call
    assert dict(call["assignee"]) == {"role": "rep", "min_seniority": "senior"}


def test_tasks_are_added_and_removed_and_segments_reassigned():
    edit = _as_edit(TEXT)
    tasks = {k: v for k, v in edit.tasks.items() if k != "upgrade_plan"}
    tasks["welcome_call"] = TaskEdit(titles={"zh": "欢迎回访", "en": "Welcome call"},
                                     kind="call", timing="due_in_days", days=3,
                                     assignee={"prefer": "owner"})
    moves = edit.transitions[:2] + (TransitionEdit(("*",), ("dog",), ("welcome_call",)),)
    new = workflow_edit.apply(TEXT, WorkflowEdit(
        on_enter={**edit.on_enter, "dog": ("roi_review", "welcome_call")},
        transitions=moves, tasks=tasks), NAME)
    document = workflow_edit.load(new, NAME)
    assert "upgrade_plan" not in document["tasks"]
    assert document["tasks"]["welcome_call"]["due_in_days"] == 3
    assert list(document["on_enter"]["dog"]) == ["roi_review", "welcome_call"]
    assert [m["from"] for m in document["on_transition"]] == ["cash_cow", ["star", "cash_cow"],
                                                              "*"]
    # The rows not edited keep their text.
    assert "  - {from: [star, cash_cow], to: [question, dog], tasks: [decline_analysis]}" in new


def test_no_moves_removes_the_key():
    new = workflow_edit.apply(TEXT, dataclasses.replace(_as_edit(TEXT), transitions=()), NAME)
    assert "on_transition" not in workflow_edit.load(new, NAME)


def test_a_json_definition_stays_json():
    content = json.loads(json.dumps(workflow_edit.load(TEXT, NAME)))
    text = json.dumps(content, ensure_ascii=False, indent=2) + "\n"
    edit = _as_edit(text)
    tasks = dict(edit.tasks)
    tasks["weekly_visit"] = dataclasses.replace(tasks["weekly_visit"], days=6)
    new = workflow_edit.apply(text, dataclasses.replace(edit, tasks=tasks), NAME, "json")
    assert json.loads(new)["tasks"]["weekly_visit"]["every_days"] == 6


@pytest.mark.parametrize("text", ["kind: workflow\n  bad: [indent\n", "- a list\n- not a map\n"])
def test_text_that_is_not_a_workflow_is_refused_with_its_file(text):
    with pytest.raises(InvalidInput) as caught:
        workflow_edit.apply(text, _as_edit(TEXT), NAME)
    problem = caught.value.problems[0]
    assert problem.file == NAME and problem.message
