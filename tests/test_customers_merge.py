"""``merge_customers`` and ``kamflow customers merge``: everything moves, audited, or nothing."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from engine.customers.duplicates import find_duplicates
from engine.customers.merge import MergeRefused, UnknownCustomer, merge_customers
from engine.customers.names import normalize_name
from engine.models import (
    AuditEntry,
    Base,
    Customer,
    CustomerAlias,
    CustomerScore,
    Definition,
    DefinitionVersion,
    EvaluationRun,
    Order,
    Pack,
    Payment,
    Product,
    SegmentOverride,
    Task,
    User,
    Visit,
    WorkflowState,
)
from tests.customers_support import run  # noqa: F401  (fixture)

DAY = dt.date(2026, 3, 2)


def customer(code, name, type_="hospital", **extra):
    return Customer(code=code, name=name, normalized_name=normalize_name(name), type=type_,
                    city="上海", **extra)


def task(customer_, key, *, workflow="wf_a", recurring=False, status="open"):
    return Task(workflow_id=workflow, customer=customer_, template=key, title={"en": key},
                kind="visit", recurring=recurring, every_days=7 if recurring else None,
                status=status, due_date=DAY, idempotency_key=key)


def evaluation_run(session):
    session.add(Pack(id="p", version="1", title="p", source="test", content_hash="x"))
    definition = Definition(kind="ruleset", def_id="rs", pack_id="p")
    session.add(definition)
    session.flush()
    version = DefinitionVersion(definition_id=definition.id, number=1, content={},
                                content_hash="x", source="", source_format="yaml")
    session.add(version)
    session.flush()
    runs = [EvaluationRun(ruleset_id="rs", ruleset_version_id=version.id, as_of=day,
                          trigger="cli") for day in (DAY, DAY + dt.timedelta(days=90))]
    session.add_all(runs)
    session.flush()
    return runs


@pytest.fixture
def pair(session):
    """K1 and D1, one hospital twice; D1 holds facts, tasks, history, an alias and a child."""
    rep = User(username="rep1", name="Rep", role="rep")
    keep = customer("K1", "上海市第一人民医院")
    drop = customer("D1", "上海第一人民醫院", owner=rep, region="上海", profile={"beds": 800})
    child = customer("C1", "上海市第一人民医院(南院)", parent_code="D1")
    product = Product(code="P1", name="Aspirin")
    session.add_all([rep, keep, drop, child, product])
    session.flush()
    early, late = evaluation_run(session)
    session.add_all([
        Order(order_id="O1", customer=drop, product=product, date=DAY, amount_cents=100),
        Order(order_id="O2", customer=drop, product=product, date=DAY, amount_cents=200),
        Order(order_id="O3", customer=keep, product=product, date=DAY, amount_cents=300),
        Payment(invoice_id="I1", customer=drop, invoice_date=DAY, amount_cents=300),
        Visit(visit_id="V1", customer=drop, date=DAY, channel="visit"),
        task(drop, "t-recurring", recurring=True),
        task(drop, "t-once"),
        task(drop, "t-other-workflow", workflow="wf_b", recurring=True),
        WorkflowState(workflow_id="wf_a", customer=keep, state="seg_high"),
        WorkflowState(workflow_id="wf_a", customer=drop, state="seg_low"),
        WorkflowState(workflow_id="wf_b", customer=drop, state="seg_low"),
        CustomerScore(run_id=early.id, customer=keep, segment="seg_high"),
        CustomerScore(run_id=early.id, customer=drop, segment="seg_low"),
        CustomerScore(run_id=late.id, customer=drop, segment="seg_low"),
        SegmentOverride(customer=drop, ruleset_id="rs", segment="seg_high", until=DAY,
                        reason="known", status="approved", requested_by="rep1"),
        CustomerAlias(customer=drop, name="沪一院", normalized_name="沪一院"),
    ])
    session.commit()
    return keep, drop


def count(session, model, customer_id):
    return session.scalar(select(func.count()).select_from(model)
                          .where(model.customer_id == customer_id))


def test_merge_moves_everything_to_the_kept_customer(engine, session, pair):
    keep, drop = pair
    result = merge_customers(engine, "K1", "D1", actor="admin")
    session.expire_all()

    assert session.scalars(select(Customer.code).order_by(Customer.code)).all() == ["C1", "K1"]
    assert result.moved == {"orders": 2, "payments": 1, "visits": 1, "tasks": 3,
                            "segment_overrides": 1, "workflow_states": 1, "customer_scores": 1,
                            "aliases": 1, "children": 1}
    assert count(session, Order, keep.id) == 3 and count(session, Payment, keep.id) == 1
    assert count(session, Visit, keep.id) == 1 and count(session, Task, keep.id) == 3
    assert session.scalar(select(Customer.parent_code).where(Customer.code == "C1")) == "K1"
    aliases = session.execute(select(CustomerAlias.name, CustomerAlias.normalized_name,
                                     CustomerAlias.former_code)
                              .where(CustomerAlias.customer_id == keep.id)
                              .order_by(CustomerAlias.id)).all()
    assert aliases == [("沪一院", "沪一院", None), ("上海第一人民醫院", "上海第一人民医院", "D1")]


def test_the_kept_customers_state_wins(engine, session, pair):
    keep, drop = pair
    result = merge_customers(engine, "K1", "D1", actor="admin")
    session.expire_all()

    states = session.execute(select(WorkflowState.workflow_id, WorkflowState.state)
                             .where(WorkflowState.customer_id == keep.id)
                             .order_by(WorkflowState.workflow_id)).all()
    assert states == [("wf_a", "seg_high"), ("wf_b", "seg_low")]
    scores = session.execute(select(CustomerScore.run_id, CustomerScore.segment)
                             .where(CustomerScore.customer_id == keep.id)
                             .order_by(CustomerScore.run_id)).all()
    assert scores == [(1, "seg_high"), (2, "seg_low")]
    tasks = dict(session.execute(select(Task.template, Task.status)).all())
    assert tasks == {"t-recurring": "cancelled", "t-once": "open", "t-other-workflow": "open"}
    assert result.replaced == {
        "tasks_cancelled": [{"id": 1, "workflow_id": "wf_a", "template": "t-recurring"}],
        "overrides_cleared": [],
        "workflow_states_deleted": [{"workflow_id": "wf_a", "state": "seg_low"}],
        "customer_scores_deleted": [
            {"run_id": 1, "segment": "seg_low", "effective_segment": None}]}


def test_a_live_override_of_the_kept_customer_wins(engine, session, pair):
    keep, _ = pair
    session.add(SegmentOverride(customer_id=keep.id, ruleset_id="rs", segment="seg_low",
                                until=DAY, reason="mine", status="pending", requested_by="rep1"))
    session.commit()
    result = merge_customers(engine, "K1", "D1", actor="admin")
    session.expire_all()
    statuses = session.execute(select(SegmentOverride.reason, SegmentOverride.status,
                                      SegmentOverride.decided_by)
                               .order_by(SegmentOverride.id)).all()
    assert statuses == [("known", "cleared", "admin"), ("mine", "pending", None)]
    assert result.replaced["overrides_cleared"] == [
        {"id": 1, "ruleset_id": "rs", "segment": "seg_high"}]


def test_merge_is_audited(engine, session, pair):
    merge_customers(engine, "K1", "D1", actor="admin")
    [entry] = session.scalars(select(AuditEntry)).all()
    assert (entry.actor, entry.action, entry.object_type, entry.object_id) == (
        "admin", "customer.merge", "customer", "K1")
    assert entry.details["dropped"] == {
        "code": "D1", "name": "上海第一人民醫院", "type": "hospital", "parent_code": None,
        "region": "上海", "city": "上海", "owner": "rep1", "status": "active",
        "profile": {"beds": 800}}
    assert entry.details["moved"]["orders"] == 2
    assert entry.details["replaced"]["workflow_states_deleted"] == [
        {"workflow_id": "wf_a", "state": "seg_low"}]


def test_merged_pair_is_no_longer_a_duplicate_but_its_old_name_still_matches(
        engine, session, pair):
    assert ("D1", "K1") in {(p.code, p.other_code) for p in find_duplicates(session)}
    session.rollback()  # end the read, so that the session sees what the merge wrote
    merge_customers(engine, "K1", "D1", actor="admin")
    session.add(customer("N1", "上海市第一人民醫院"))
    session.commit()
    [found] = [p for p in find_duplicates(session) if "N1" in (p.code, p.other_code)]
    assert (found.code, found.other_code) == ("K1", "N1")


def test_a_kept_child_of_the_dropped_customer_takes_its_parent(engine, session):
    session.add_all([customer("G", "集团"), customer("D", "上海第一人民医院", parent_code="G"),
                     customer("K", "上海市第一人民医院", parent_code="D")])
    session.commit()
    merge_customers(engine, "K", "D", actor=None)
    assert session.scalar(select(Customer.parent_code).where(Customer.code == "K")) == "G"


def snapshot(session):
    """Every row of every table, to show that a refused merge changed nothing."""
    session.rollback()
    return {table.name: session.execute(table.select().order_by(*table.primary_key)).all()
            for table in Base.metadata.sorted_tables}


@pytest.mark.parametrize(("keep", "drop", "error", "message"), [
    ("K1", "K2", UnknownCustomer, "no customer 'K2' (did you mean 'K1'?)"),
    ("X9", "D1", UnknownCustomer, "no customer 'X9'"),
    ("上海市第一人民医院", "D1", UnknownCustomer,
     "no customer '上海市第一人民医院' (did you mean 'K1'?)"),
    ("K1", "K1", MergeRefused, "cannot merge customer 'K1' into itself"),
    ("K1", "PH1", MergeRefused, "cannot merge 'PH1' (pharmacy) into 'K1' (hospital): "
                                "customers of different types are not duplicates"),
])
def test_bad_merges_are_refused_and_change_nothing(engine, session, pair, keep, drop, error,
                                                   message):
    session.add(customer("PH1", "上海第一人民医院药房", type_="pharmacy"))
    session.commit()
    before = snapshot(session)
    with pytest.raises(error) as raised:
        merge_customers(engine, keep, drop, actor="admin")
    assert str(raised.value) == message
    assert snapshot(session) == before


def test_a_merged_code_says_where_it_went(engine, session, pair):
    merge_customers(engine, "K1", "D1", actor="admin")
    with pytest.raises(UnknownCustomer, match="no customer 'D1': it was merged into 'K1'"):
        merge_customers(engine, "K1", "D1", actor="admin")


def test_every_table_that_points_at_customers_is_merged():
    """A new table referencing customers must be handled by the merge (then listed here)."""
    referencing = {fk.parent.table.name for table in Base.metadata.sorted_tables
                   for fk in table.foreign_keys if fk.column.table.name == "customers"}
    assert referencing == {"orders", "payments", "visits", "tasks", "segment_overrides",
                           "workflow_states", "customer_scores", "customer_aliases"}




def test_cli_merges(run, session, pair):
    result = run("merge", "K1", "D1", "--actor", "alice")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "merged D1 into K1; moved: orders 2, payments 1, visits 1, tasks 3, "
        "segment overrides 1, workflow states 1, customer scores 1, aliases 1, children 1",
        "the kept customer's state won; tasks cancelled 1, workflow states deleted 1, "
        "customer scores deleted 1 (details in the audit log)"]
    assert session.scalar(select(AuditEntry.actor)) == "alice"


@pytest.mark.parametrize(("args", "message"), [
    (("K1", "K2"), "error: no customer 'K2' (did you mean 'K1'?)\n"),
    (("K1", "K1"), "error: cannot merge customer 'K1' into itself\n"),
])
def test_cli_refuses_bad_merges_with_exit_1(run, pair, args, message):
    result = run("merge", *args)
    assert (result.exit_code, result.output) == (1, message)


def test_cli_needs_both_codes(run):
    result = run("merge", "K1")
    assert result.exit_code == 2 and "Missing argument 'DROP'" in result.output
