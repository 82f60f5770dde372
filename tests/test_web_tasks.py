"""The task inbox and a task's actions in the browser's terms: groups by due date, filters,
start / complete / postpone / reassign with their audit entries, visibility and CSRF."""
from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from engine.db import transaction
from engine.models import AuditEntry, Customer, Notification, Task, User, Visit
from web_support import csrf_token, make_app, sign_in, text  # noqa: F401  (fixtures)
from web_world import PASSWORD, _world_snapshot, world  # noqa: F401  (fixtures)

HOSTILE = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', '{{7*7}}']


@pytest.fixture
def web(make_app, world):
    return make_app(RATELIMIT_ENABLED=False)


def today(app) -> dt.date:
    return dt.datetime.now(ZoneInfo(app.config["TIMEZONE"])).date()


def signed_in(app, username: str):
    client = app.test_client()
    assert sign_in(client, username, PASSWORD).status_code == 302
    return client


def post(client, path: str, data: dict | None = None, page: str = "/tasks"):
    return client.post(path, data={"csrf_token": csrf_token(client, page), **(data or {})})


def task(engine, task_id: int) -> Task:
    with transaction(engine) as session:
        return session.get(Task, task_id)


def set_task(engine, task_id: int, **values) -> None:
    with transaction(engine) as session:
        session.execute(update(Task).where(Task.id == task_id).values(**values))


def audit_of(engine, task_id: int) -> list[AuditEntry]:
    with transaction(engine) as session:
        return list(session.scalars(select(AuditEntry).where(
            AuditEntry.object_type == "task", AuditEntry.object_id == str(task_id))
            .order_by(AuditEntry.id)))


def add_tasks(engine, world, count: int, username: str = "r1") -> None:
    """``count`` more open tasks of ``username`` like the world's task of r1."""
    with transaction(engine) as session:
        model = session.get(Task, world.tasks["r1"])
        for number in range(count):
            session.add(Task(workflow_id=model.workflow_id, customer_id=model.customer_id,
                             template=model.template, title=dict(model.title), kind=model.kind,
                             assignee_id=world.users[username], status="open",
                             due_date=model.due_date, idempotency_key=f"test:{number}"))


def r1_open_tasks(engine, world) -> list[int]:
    with transaction(engine) as session:
        return list(session.scalars(select(Task.id).where(
            Task.assignee_id == world.users["r1"], Task.status == "open").order_by(Task.id)))


def group_section(page: str, key: str) -> str:
    match = re.search(rf'<section class="task-group group-{key}".*?</section>', page, re.S)
    assert match, f"no {key} group"
    return match.group(0)


# ------------------------------------------------------------------------------ the inbox

def test_inbox_groups_by_due_date_with_counts(engine, world, web):
    add_tasks(engine, world, 2)
    ids = r1_open_tasks(engine, world)
    assert len(ids) >= 4
    day = today(web)
    week_end = day + dt.timedelta(days=6 - day.weekday())
    set_task(engine, ids[0], due_date=day - dt.timedelta(days=1))
    set_task(engine, ids[1], due_date=day)
    for later in ids[2:]:
        set_task(engine, later, due_date=week_end + dt.timedelta(days=1))
    page = text(signed_in(web, "r1").get("/tasks"))
    overdue, week, later = (group_section(page, k) for k in ("overdue", "week", "later"))
    assert f'/tasks/{ids[0]}"' in overdue and f'/tasks/{ids[1]}"' not in overdue
    assert f'/tasks/{ids[1]}"' in week and f'/tasks/{ids[0]}"' not in week
    assert all(f'/tasks/{i}"' in later for i in ids[2:])
    assert '<span class="group-count">1</span>' in overdue
    assert '<span class="group-count">1</span>' in week
    assert f'<span class="group-count">{len(ids) - 2}</span>' in later
    assert "逾期" in page and "本周" in page


def test_inbox_shows_only_the_viewers_tasks(engine, world, web):
    page = text(signed_in(web, "r1").get("/tasks"))
    assert f'/tasks/{world.tasks["r1"]}"' in page
    assert f'/tasks/{world.tasks["r2"]}"' not in page and f'/tasks/{world.tasks["s1"]}"' not in page
    manager = text(signed_in(web, "m1").get("/tasks"))
    assert f'/tasks/{world.tasks["r1"]}"' in manager and f'/tasks/{world.tasks["s1"]}"' in manager
    assert f'/tasks/{world.tasks["r2"]}"' not in manager


def test_inbox_filters_by_customer_kind_status_and_assignee(engine, world, web):
    m1 = signed_in(web, "m1")
    by_code = text(m1.get("/tasks?customer=c1"))
    assert f'/tasks/{world.tasks["r1"]}"' in by_code
    none = text(m1.get("/tasks?customer=C2"))      # C2 is r2's, outside m1's team
    assert f'/tasks/{world.tasks["r2"]}"' not in none and f'/tasks/{world.tasks["r1"]}"' not in none
    assert none.count("这里没有任务。") == 3
    only_s1 = text(m1.get("/tasks?assignee=s1"))
    assert f'/tasks/{world.tasks["s1"]}"' in only_s1
    assert f'/tasks/{world.tasks["r1"]}"' not in only_s1
    outside = m1.get("/tasks?assignee=r2")
    assert outside.status_code == 400 and "团队中没有此人" in text(outside)
    assert f'/tasks/{world.tasks["r2"]}"' not in text(outside)
    with transaction(engine) as session:
        kind = session.scalar(select(Task.kind).where(Task.id == world.tasks["r1"]))
        session.execute(update(Task).where(Task.id == world.tasks["r1"]).values(kind="zzz_kind"))
    assert f'/tasks/{world.tasks["r1"]}"' in text(m1.get("/tasks?kind=zzz_kind"))
    assert f'/tasks/{world.tasks["r1"]}"' not in text(m1.get(f"/tasks?kind={kind}"))
    post(m1, f'/tasks/{world.tasks["r1"]}/complete')
    assert f'/tasks/{world.tasks["r1"]}"' not in text(m1.get("/tasks"))
    assert f'/tasks/{world.tasks["r1"]}"' in text(m1.get("/tasks?status=done"))


def test_a_rep_gets_no_assignee_filter(engine, world, web):
    r1 = signed_in(web, "r1")
    page = text(r1.get("/tasks?assignee=r2"))
    assert 'name="assignee"' not in page
    assert f'/tasks/{world.tasks["r1"]}"' in page      # the parameter is ignored for a rep


def test_one_group_pages_with_a_keyset(engine, world, web):
    add_tasks(engine, world, 2)
    ids = r1_open_tasks(engine, world)
    day = today(web)
    for offset, task_id in enumerate(ids):
        set_task(engine, task_id, due_date=day - dt.timedelta(days=30 - offset))
    import web.tasks as tasks_module
    page_size = tasks_module.GROUP_PAGE
    tasks_module.GROUP_PAGE = 2
    try:
        r1 = signed_in(web, "r1")
        first = text(r1.get("/tasks?group=overdue"))
        assert f'/tasks/{ids[0]}"' in first and f'/tasks/{ids[1]}"' in first
        assert f'/tasks/{ids[2]}"' not in first
        after = re.search(r'after=([^&"]+)', first).group(1).replace("%3A", ":")
        second = text(r1.get(f"/tasks?group=overdue&after={after}"))
        assert f'/tasks/{ids[2]}"' in second and f'/tasks/{ids[0]}"' not in second
    finally:
        tasks_module.GROUP_PAGE = page_size


# ------------------------------------------------------------------------------- a task

def test_task_page_and_another_reps_task(engine, world, web):
    r1 = signed_in(web, "r1")
    page = r1.get(f'/tasks/{world.tasks["r1"]}')
    assert page.status_code == 200 and "C1 人民医院" in text(page)
    assert 'name="assignee"' not in text(page)       # a rep does not reassign
    assert r1.get(f'/tasks/{world.tasks["r2"]}').status_code == 404
    assert r1.get("/tasks/999999").status_code == 404
    before = task(engine, world.tasks["r2"])
    for action in ("start", "complete", "postpone"):
        response = post(r1, f'/tasks/{world.tasks["r2"]}/{action}',
                        {"due_date": "2099-01-01", "reason": "x"})
        assert response.status_code == 404
    after = task(engine, world.tasks["r2"])
    assert (after.status, after.due_date) == (before.status, before.due_date)


def test_start_then_complete_with_a_note_are_audited(engine, world, web):
    task_id = world.tasks["r1"]
    r1 = signed_in(web, "r1")
    response = post(r1, f"/tasks/{task_id}/start")
    assert response.status_code == 303 and task(engine, task_id).status == "in_progress"
    response = post(r1, f"/tasks/{task_id}/complete", {"note": "见了主任"})
    assert response.status_code == 303
    done = task(engine, task_id)
    assert done.status == "done" and done.note == "见了主任" and done.completed_by == "r1"
    actions = [(entry.action, entry.actor) for entry in audit_of(engine, task_id)]
    assert actions == [("task.start", "r1"), ("task.complete", "r1")]
    page = text(r1.get(f"/tasks/{task_id}"))
    assert "已完成" in page and "见了主任" in page


def test_completing_a_done_task_is_a_409_not_a_500(engine, world, web):
    task_id = world.tasks["r1"]
    r1 = signed_in(web, "r1")
    assert post(r1, f"/tasks/{task_id}/complete").status_code == 303
    again = post(r1, f"/tasks/{task_id}/complete")
    assert again.status_code == 409 and "已完成" in text(again)
    assert post(r1, f"/tasks/{task_id}/start").status_code == 409
    assert [e.action for e in audit_of(engine, task_id)] == ["task.complete"]


@pytest.mark.parametrize("kind, channel, recorded", [("visit", "face_to_face", "face_to_face"),
                                                     ("call", None, "call")])
def test_completing_a_visit_or_call_records_a_visit(engine, world, web, kind, channel,
                                                    recorded):
    task_id = world.tasks["r1"]
    set_task(engine, task_id, kind=kind, channel=channel)
    r1 = signed_in(web, "r1")
    response = post(r1, f"/tasks/{task_id}/complete", {"note": "ok"})
    assert response.status_code == 303
    with transaction(engine) as session:
        visit = session.scalar(select(Visit).where(Visit.task_id == task_id))
        customer_id = session.scalar(select(Task.customer_id).where(Task.id == task_id))
    assert visit is not None and visit.channel == recorded
    assert visit.customer_id == customer_id and visit.rep_id == world.users["r1"]
    assert visit.date == today(web)
    assert "记为一次拜访" in text(r1.get(response.location))
    assert audit_of(engine, task_id)[-1].details["channel"] == recorded


def test_postpone_moves_the_due_date_and_audits_old_and_new(engine, world, web):
    task_id = world.tasks["r1"]
    old = task(engine, task_id).due_date
    new = today(web) + dt.timedelta(days=10)
    r1 = signed_in(web, "r1")
    response = post(r1, f"/tasks/{task_id}/postpone",
                    {"due_date": new.isoformat(), "reason": "主任出差"})
    assert response.status_code == 303 and task(engine, task_id).due_date == new
    entry = audit_of(engine, task_id)[-1]
    assert entry.action == "task.postpone" and entry.actor == "r1"
    assert entry.details == {"from": old.isoformat(), "to": new.isoformat(), "reason": "主任出差"}
    page = text(r1.get(f"/tasks/{task_id}"))
    assert "主任出差" in page and f"{old.isoformat()} → {new.isoformat()}" in page


@pytest.mark.parametrize("data, field, message", [
    ({"due_date": "past", "reason": "x"}, "due_date", "请按 YYYY-MM-DD 填写新的截止日期"),
    ({"due_date": "2000-01-01", "reason": "x"}, "due_date", "请选择今天或以后的日期"),
    ({"due_date": "2099-01-01", "reason": "  "}, "reason", "请填写推迟的原因"),
])
def test_postpone_refuses_bad_input_at_the_field(engine, world, web, data, field, message):
    task_id = world.tasks["r1"]
    before = task(engine, task_id).due_date
    response = post(signed_in(web, "r1"), f"/tasks/{task_id}/postpone", data)
    page = text(response)
    assert response.status_code == 400 and message in page
    assert f'id="{field}-errors"' in page and 'aria-invalid="true"' in page
    assert task(engine, task_id).due_date == before and audit_of(engine, task_id) == []


def test_manager_reassigns_within_the_team_and_the_assignee_is_notified(engine, world, web):
    task_id = world.tasks["r1"]
    m1 = signed_in(web, "m1")
    assert 'name="assignee"' in text(m1.get(f"/tasks/{task_id}"))
    response = post(m1, f"/tasks/{task_id}/reassign", {"assignee": "s1"})
    assert response.status_code == 303
    assert task(engine, task_id).assignee_id == world.users["s1"]
    entry = audit_of(engine, task_id)[-1]
    assert (entry.action, entry.actor, entry.details) == ("task.reassign", "m1",
                                                          {"from": "r1", "to": "s1"})
    with transaction(engine) as session:
        notice = session.scalar(select(Notification).where(
            Notification.user_id == world.users["s1"], Notification.kind == "task.assigned"))
    assert notice is not None and notice.payload["task_id"] == task_id
    assert f"/tasks/{task_id}" in text(signed_in(web, "s1").get("/notifications"))


@pytest.mark.parametrize("username", ["r1", "s1"])
def test_reps_and_staff_may_not_reassign(engine, world, web, username):
    task_id = world.tasks[username]
    response = post(signed_in(web, username), f"/tasks/{task_id}/reassign", {"assignee": "m1"})
    assert response.status_code == 403
    assert task(engine, task_id).assignee_id == world.users[username]


def test_reassign_outside_the_team_or_to_an_inactive_user_is_refused(engine, world, web):
    task_id = world.tasks["r1"]
    m1 = signed_in(web, "m1")
    outside = post(m1, f"/tasks/{task_id}/reassign", {"assignee": "r2"})
    assert outside.status_code == 400 and "只能转派给本团队在职的成员" in text(outside)
    with transaction(engine) as session:
        session.execute(update(User).where(User.username == "s1").values(active=False))
    inactive = post(m1, f"/tasks/{task_id}/reassign", {"assignee": "s1"})
    assert inactive.status_code == 400 and "该用户已停用" in text(inactive)
    assert task(engine, task_id).assignee_id == world.users["r1"]
    assert audit_of(engine, task_id) == []
    other = post(m1, f'/tasks/{world.tasks["r2"]}/reassign', {"assignee": "m1"})
    assert other.status_code == 404
    assert task(engine, world.tasks["r2"]).assignee_id == world.users["r2"]


def test_post_without_csrf_changes_nothing(engine, world, web):
    task_id = world.tasks["r1"]
    r1 = signed_in(web, "r1")
    for action, data in (("start", {}), ("complete", {"note": "x"}),
                         ("postpone", {"due_date": "2099-01-01", "reason": "x"})):
        response = r1.post(f"/tasks/{task_id}/{action}", data=data)
        assert response.status_code == 400
        wrong = r1.post(f"/tasks/{task_id}/{action}", data={"csrf_token": "forged", **data})
        assert wrong.status_code == 400
    after = task(engine, task_id)
    assert after.status == "open" and after.note is None and audit_of(engine, task_id) == []


def test_hostile_titles_and_names_are_text(engine, world, web):
    task_id = world.tasks["r1"]
    hostile = " ".join(HOSTILE)
    with transaction(engine) as session:
        session.execute(update(Task).where(Task.id == task_id).values(
            title={"zh": hostile, "en": hostile}, kind=HOSTILE[1], note=HOSTILE[0]))
        session.execute(update(Customer).where(Customer.code == "C1").values(name=HOSTILE[1]))
    r1 = signed_in(web, "r1")
    for path in ("/tasks", f"/tasks/{task_id}", f"/tasks?kind={HOSTILE[1]}"):
        page = text(r1.get(path))
        assert "<script>alert(1)</script>" not in page, path
        assert "<img src=x" not in page, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, path
        assert "{{7*7}}" in page, path
