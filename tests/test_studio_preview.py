"""The preview of a draft ruleset or workflow (``engine.definitions.preview`` and the studio's
preview page): one dry-run job, counts, the migration matrix with who moves and why, the tasks
the workflows would create and cancel (the same as a real run then makes), warnings,
histograms, golden customers; nothing stored."""
from __future__ import annotations

import copy
import re
import threading
from collections import Counter

import pytest
from sqlalchemy import func, select

from engine.db import transaction
from engine.definitions import golden, store
from engine.definitions.preview import preview_ruleset, preview_workflow
from engine.evaluation import evaluate
from engine.jobs.handlers import HANDLERS
from engine.jobs.worker import WorkerSettings, work
from engine.models import EvaluationRun, Job, Task, User, WorkflowState
from engine.runs import evaluate_and_follow
from web_support import app, make_app, post_form, sign_in, text  # noqa: F401  (fixtures)
from web_world import AS_OF, PASSWORD, RULESET, _world_snapshot, world  # noqa: F401

WORKFLOW = "quadrant_followup"
ALL_HIGH = {"value": 0, "potential": 0}     # numeric splits that make everyone a star


def _draft(engine, change, kind: str = "ruleset", def_id: str = RULESET) -> int:
    """Save a draft version: the published content changed by ``change(content)``."""
    with transaction(engine) as session:
        definition = store.get_definition(session, kind, def_id)
        content = copy.deepcopy(store.published_version(session, definition).content)
        change(content)
        return store.add_version(session, definition, content, "# test draft\n", "yaml",
                                 "test").number


def _everyone_high(content) -> None:
    content["classification"]["quadrant"]["split"] = dict(ALL_HIGH)


def _stored(engine):
    """What a preview must leave alone: runs, tasks, workflow states."""
    with transaction(engine) as session:
        return (session.scalar(select(func.count()).select_from(EvaluationRun)),
                sorted(session.execute(select(Task.id, Task.status)).all()),
                sorted(session.execute(select(WorkflowState.customer_id,
                                              WorkflowState.state)).all()))


def _usernames(engine) -> dict[int, str]:
    with transaction(engine) as session:
        return dict(session.execute(select(User.id, User.username)).all())


# --- engine ----------------------------------------------------------------------------------

def test_counts_and_matrix_are_those_of_the_two_dry_runs(world, engine):
    number = _draft(engine, _everyone_high)
    before = _stored(engine)
    record = preview_ruleset(engine, RULESET, number, as_of=AS_OF)
    draft = evaluate(engine, RULESET, as_of=AS_OF, dry_run=True, version=number)
    published = evaluate(engine, RULESET, as_of=AS_OF, dry_run=True)
    assert record["counts"] == {"draft": draft.segment_counts(),
                                "published": published.segment_counts()}
    assert record["counts"]["draft"]["star"] == len(draft.population) == 2
    matrix = record["matrix"]
    assert sum(n for row in matrix.values() for n in row.values()) == 2
    assert set(matrix) == set(published.segment_counts()) - {
        s for s, n in published.segment_counts().items() if n == 0}
    movers = record["movers"]
    off_diagonal = sum(n for a, row in matrix.items() for b, n in row.items() if a != b)
    assert off_diagonal >= 1 and sum(c["total"] for c in movers.values()) == off_diagonal
    (key, cell), = [(k, c) for k, c in movers.items()]
    assert key.endswith("->star")
    row = cell["rows"][0]
    assert row["code"] == "C2" and row["name"] == "C2 人民医院"
    # the axis scores do not change (only the split did): old and new are the same numbers
    assert row["old"] == row["new"] and set(row["new"]) == {"value", "potential"}
    assert record["version"] == number and record["published_version"] == 1
    assert _stored(engine) == before                      # nothing stored


def test_the_deciding_item_is_the_one_whose_contribution_changed_most(world, engine):
    def reweigh(content):
        _everyone_high(content)
        items = content["axes"]["value"]["items"]
        items[0]["weight"] = items[0]["weight"] * 10

    number = _draft(engine, reweigh)
    record = preview_ruleset(engine, RULESET, number, as_of=AS_OF)
    (cell,) = record["movers"].values()
    row = cell["rows"][0]
    runs = [evaluate(engine, RULESET, as_of=AS_OF, dry_run=True, version=v) for v in (1, number)]

    def shares(result):      # SPEC §3.2: an item's share of its axis is 10·w·p / Σw
        at = result.index_of(row["code"])
        found = {}
        for axis in result.ruleset.spec.axes:
            total = sum(float(i.weight) for i in axis.items)
            for i in axis.items:
                points = result.scores.points[i.metric].points[at]
                found[f"{axis.id}.{i.metric}"] = 10 * float(i.weight) * points / total
        return found

    old, new = shares(runs[0]), shares(runs[1])
    changes = {key: abs(new[key] - old[key]) for key in new}
    assert row["item"]["key"] == max(changes, key=changes.get)
    assert changes[row["item"]["key"]] > 0
    assert row["item"]["new"] == pytest.approx(new[row["item"]["key"]], abs=1e-3)


def test_histograms_count_every_customer_and_carry_the_split(world, engine):
    record = preview_ruleset(engine, RULESET, 1, as_of=AS_OF)
    published = evaluate(engine, RULESET, as_of=AS_OF, dry_run=True)
    for entry in record["histograms"]:
        assert sum(entry["draft"]) == sum(entry["published"]) == len(published.population)
        assert len(entry["edges"]) == len(entry["draft"]) + 1
        assert entry["split"][0]["value"] == pytest.approx(published.splits[entry["axis"]]["value"])
    assert [h["axis"] for h in record["histograms"]] == [a["id"] for a in record["axes"]]


def test_the_tasks_previewed_are_the_tasks_the_run_then_makes(world, engine):
    """Publish the draft after previewing it and run: the same tasks, per template and per
    assignee, are created and cancelled as the preview said."""
    number = _draft(engine, _everyone_high)
    record = preview_ruleset(engine, RULESET, number, as_of=AS_OF)
    (tally,) = record["tasks"]["draft"]
    assert tally["workflow"] == WORKFLOW and tally["moved"] >= 1
    assert record["tasks"]["published"][0]["moved"] == 0   # the world is up to date
    names = _usernames(engine)
    with transaction(engine) as session:
        open_before = {t.id for t in session.scalars(select(Task).where(Task.status == "open"))}
        definition = store.get_definition(session, "ruleset", RULESET)
        store.publish(session, definition, store.get_version(session, definition, number), "t")
    run = evaluate_and_follow(engine, RULESET, as_of=AS_OF, trigger="cli")
    with transaction(engine) as session:
        created = Counter((t.template, names.get(t.assignee_id, ""))
                          for t in session.scalars(select(Task).where(Task.run_id == run.run_id)))
        cancelled = Counter((t.template, names.get(t.assignee_id, "")) for t in session.scalars(
            select(Task).where(Task.id.in_(open_before), Task.status == "cancelled")))
    expected_created = Counter({(template, who): n for template, by in tally["created"].items()
                                for who, n in by.items()})
    expected_cancelled = Counter({(template, who): n
                                  for template, by in tally["cancelled"].items()
                                  for who, n in by.items()})
    assert created and created == expected_created
    assert cancelled == expected_cancelled


def test_a_workflow_draft_is_previewed_on_the_published_classification(world, engine):
    def extra_task(content):
        first = next(iter(content["tasks"]))
        for segment in content["on_enter"]:
            content["on_enter"][segment] = list(dict.fromkeys(
                [*content["on_enter"][segment], first]))

    number = _draft(engine, extra_task, "workflow", WORKFLOW)
    with transaction(engine) as session:     # the customers leave their states: all move
        session.execute(WorkflowState.__table__.delete())
    before = _stored(engine)
    record = preview_workflow(engine, WORKFLOW, number, as_of=AS_OF)
    assert record["kind"] == "workflow" and "matrix" not in record
    (draft,), (published,) = record["tasks"]["draft"], record["tasks"]["published"]
    assert draft["moved"] == published["moved"] == 2
    total = lambda t: sum(n for by in t["created"].values() for n in by.values())  # noqa: E731
    assert total(draft) > total(published)
    assert _stored(engine) == before


def test_golden_customers_the_draft_breaks_are_listed(world, engine, monkeypatch):
    seen = {}

    def broken(session, ruleset_id, segment_of):
        seen.update(ruleset=ruleset_id, segment_of=dict(segment_of))
        return [golden.BrokenExpectation(7, "<b>协和医院</b>", "star", "dog")]

    monkeypatch.setattr(golden, "broken_expectations", broken)
    number = _draft(engine, _everyone_high)
    record = preview_ruleset(engine, RULESET, number, as_of=AS_OF)
    assert seen["ruleset"] == RULESET and set(seen["segment_of"].values()) == {"star"}
    assert record["golden"] == [{"customer_id": 7, "customer_name": "<b>协和医院</b>",
                                 "customer_code": "", "note": None,
                                 "expected": "star", "actual": "dog"}]


def test_a_preview_job_with_bad_parameters_fails_with_a_clear_error(world, engine):
    handler = HANDLERS["dry_run"]
    with pytest.raises(Exception, match="cannot be previewed"):
        handler(engine, {"preview": "form", "form": "hospital"}, "k", lambda *_: None)
    with pytest.raises(Exception, match="not a version number"):
        handler(engine, {"preview": "ruleset", "ruleset": RULESET, "version": "2"}, "k",
                lambda *_: None)
    with pytest.raises(Exception, match="nope"):
        handler(engine, {"preview": "ruleset", "ruleset": "nope"}, "k", lambda *_: None)


# --- the page --------------------------------------------------------------------------------

def _client(app, username: str = "admin"):
    client = app.test_client()
    assert sign_in(client, username, PASSWORD).status_code == 302
    return client


def test_the_preview_page_is_one_job_polled_then_shows_everything(app, world, engine):
    number = _draft(engine, _everyone_high)
    before = _stored(engine)
    client = _client(app)
    page = f"/studio/ruleset/{RULESET}"
    response = post_form(client, f"{page}/preview", {"number": str(number)}, page=page)
    assert response.status_code == 303
    location = response.headers["Location"]
    with transaction(engine) as session:
        jobs = session.scalars(select(Job).where(Job.id > max(world.jobs.values()))).all()
    assert [j.params for j in jobs] == [{"preview": "ruleset", "ruleset": RULESET,
                                         "version": number}]
    waiting = text(client.get(location))
    assert 'hx-trigger="every 1s"' in waiting and "<progress" in waiting
    assert work(engine, threading.Event(), WorkerSettings(), once=True) >= 1
    shown = text(client.get(location))
    assert 'hx-trigger="every 1s"' not in shown
    assert re.search(r'<table class="segment-compare">.*<td>\d+</td>', shown, re.S)
    assert 'class="preview-matrix"' in shown and "明星客户" in shown
    assert "<svg" in shown and 'class="bar-draft"' in shown        # histograms, with tables
    assert shown.count('class="histogram-table') == 2
    links = re.findall(r'href="([^"]*move=[^"#]*)', shown)
    assert links, "a cell of the matrix links to who moves"
    drill = text(client.get(links[0].replace("&amp;", "&")))
    assert "C2 人民医院" in drill and 'id="movers"' in drill
    assert "quadrant_followup" in shown                           # the tasks per workflow
    assert _stored(engine) == before


def test_hostile_labels_are_shown_as_text(app, world, engine, monkeypatch):
    monkeypatch.setattr(golden, "broken_expectations", lambda *_: [
        golden.BrokenExpectation(1, "<script>alert(1)</script>", "star", None)])

    def hostile(content):
        _everyone_high(content)
        content["classification"]["segments"]["star"]["label"] = {"zh": "<img src=x>",
                                                                  "en": "<img src=x>"}

    number = _draft(engine, hostile)
    client = _client(app)
    page = f"/studio/ruleset/{RULESET}"
    location = post_form(client, f"{page}/preview", {"number": str(number)},
                         page=page).headers["Location"]
    work(engine, threading.Event(), WorkerSettings(), once=True)
    shown = text(client.get(location))
    assert "<img src=x>" not in shown and "&lt;img src=x&gt;" in shown
    assert "<script>alert(1)" not in shown and "&lt;script&gt;" in shown


def test_a_workflow_draft_is_previewed_from_its_page(app, world, engine):
    number = _draft(engine, lambda content: None, "workflow", WORKFLOW)
    client = _client(app)
    page = f"/studio/workflow/{WORKFLOW}"
    response = post_form(client, f"{page}/preview", {"number": str(number)}, page=page)
    assert response.status_code == 303
    work(engine, threading.Event(), WorkerSettings(), once=True)
    shown = text(client.get(response.headers["Location"]))
    assert "<code>quadrant_followup</code>" in shown           # its tasks' section
    assert 'class="preview-matrix"' not in shown and 'class="segment-compare"' in shown
    assert post_form(client, f"{page}/preview", {"number": "99"}, page=page).status_code == 404
    assert post_form(client, f"{page}/preview", {}, page=page).status_code == 404


def test_a_failed_preview_shows_its_error(app, world, engine):
    client = _client(app)
    with transaction(engine) as session:
        from engine.jobs import queue
        job_id = queue.enqueue(session, "dry_run", {"preview": "ruleset", "ruleset": "nope"},
                               "admin").id
    work(engine, threading.Event(), WorkerSettings(), once=True)
    shown = text(client.get(f"/studio/preview/{job_id}"))
    assert 'role="alert"' in shown and "nope" in shown


def test_a_ruleset_never_published_is_previewed_against_nothing(world, engine):
    with transaction(engine) as session:
        published = store.published_version(session, store.get_definition(session, "ruleset",
                                                                           RULESET))
        content = copy.deepcopy(published.content)
        content["id"] = "fresh_rules"
        from engine.definitions.documents import Document
        store.ensure_local_pack(session)
        store.save_document(session, Document("ruleset", "rules/fresh_rules.yaml", content,
                                              "# fresh\n"), "local", "test")
    record = preview_ruleset(engine, "fresh_rules", as_of=AS_OF)
    assert record["published_version"] is None and record["counts"]["published"] is None
    assert set(record["matrix"]) == {"unclassified"}
    assert sum(record["matrix"]["unclassified"].values()) == record["customers"]["draft"] == 2
    assert record["tasks"] == {"draft": [], "published": None}
    assert all("published" not in h for h in record["histograms"])


def test_the_customers_who_move_are_paged():
    from types import SimpleNamespace

    from web.studio.preview_view import PreviewView

    rows = [{"id": i, "code": f"C{i:03d}"} for i in range(60)]
    job = SimpleNamespace(params={"preview": "ruleset", "ruleset": RULESET},
                          result={"movers": {"dog->star": {"total": 75, "rows": rows}}})
    view = PreviewView.of(job)
    first, last = view.page_of_movers("dog->star", 1, 25), view.page_of_movers("dog->star", 9, 25)
    assert (first["pages"], first["total"], first["kept"]) == (3, 75, 60)
    assert [r["code"] for r in first["rows"]] == [f"C{i:03d}" for i in range(25)]
    assert last["page"] == 3 and [r["id"] for r in last["rows"]] == list(range(50, 60))
    assert view.page_of_movers("star->dog", 1, 25) is None
