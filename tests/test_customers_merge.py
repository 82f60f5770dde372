"""``merge_customers`` and ``kamflow customers merge``: everything moves, audited, or nothing;
the dropped customer stays, marked merged, so that stored runs never change."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, update

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
    GoldenCustomer,
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
from engine.models.people import MERGED
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

    assert session.execute(select(Customer.code, Customer.status, Customer.merged_into_id)
                           .order_by(Customer.code)).all() == [
        ("C1", "active", None), ("D1", MERGED, keep.id), ("K1", "active", None)]
    assert session.scalar(select(Customer.merged_at).where(Customer.code == "D1")) is not None
    assert result.moved == {"orders": 2, "payments": 1, "visits": 1, "tasks": 3,
                            "segment_overrides": 1, "workflow_states": 1, "aliases": 1,
                            "children": 1}
    assert result.children == ["C1"] and result.stored_runs == [1, 2]
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
    # Stored runs never change: each customer keeps its own scores.
    scores = session.execute(select(CustomerScore.run_id, Customer.code, CustomerScore.segment)
                             .join(Customer).order_by(CustomerScore.run_id, Customer.code)).all()
    assert scores == [(1, "D1", "seg_low"), (1, "K1", "seg_high"), (2, "D1", "seg_low")]
    tasks = dict(session.execute(select(Task.template, Task.status)).all())
    assert tasks == {"t-recurring": "cancelled", "t-once": "open", "t-other-workflow": "open"}
    assert result.replaced == {
        "tasks_cancelled": [{"id": 1, "workflow_id": "wf_a", "template": "t-recurring"}],
        "overrides_cleared": [],
        "workflow_states_deleted": [{"workflow_id": "wf_a", "state": "seg_low"}]}


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
    assert entry.details["children"] == ["C1"] and entry.details["stored_runs"] == [1, 2]
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


@pytest.fixture
def hospital_tree(session):
    """H1 ← W1 (ward) ← U1 (unit), and H1's lookalike H2; a loop X1 ↔ X2 as a bad import
    may leave (parents are not checked for cycles)."""
    session.add_all([customer("H1", "上海市第一人民医院"),
                     customer("W1", "上海市第一人民医院心内科", parent_code="H1"),
                     customer("U1", "上海市第一人民医院心内科一病区", parent_code="W1"),
                     customer("H2", "上海第一人民医院"),
                     customer("X1", "环一", parent_code="X2"),
                     customer("X2", "环二", parent_code="X1")])
    session.commit()


@pytest.mark.parametrize(("keep", "drop", "chain"), [
    ("H1", "W1", "W1 → H1"),          # a hospital into its own department: its facts moved down
    ("W1", "H1", "W1 → H1"),
    ("H1", "U1", "U1 → W1 → H1"),
    ("U1", "H1", "U1 → W1 → H1"),
])
def test_a_merge_along_a_parent_chain_is_refused(engine, session, hospital_tree, keep, drop,
                                                 chain):
    before = snapshot(session)
    with pytest.raises(MergeRefused) as raised:
        merge_customers(engine, keep, drop, actor="admin")
    top = chain.split(" → ")[-1]
    bottom = chain.split(" → ")[0]
    assert str(raised.value) == (
        f"cannot merge {drop!r} into {keep!r}: {top!r} is an ancestor of {bottom!r} "
        f"(parent chain {chain}); a customer and its parent are not duplicates")
    assert snapshot(session) == before


def test_a_loop_of_parents_does_not_hang_the_chain_check(engine, session, hospital_tree):
    merge_customers(engine, "H2", "X1", actor=None)   # type and chain allow it: X1 is not above H2
    session.rollback()
    assert session.scalar(select(Customer.parent_code).where(Customer.code == "X2")) == "H2"


def test_merging_cousins_in_one_tree_is_allowed(engine, session, hospital_tree):
    session.add(customer("W2", "上海市第一人民醫院心内科", parent_code="H1"))
    session.commit()
    result = merge_customers(engine, "W1", "W2", actor=None)
    assert result.moved["children"] == 0


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
                           "workflow_states", "customer_scores", "customer_aliases",
                           "golden_customers",
                           "customers"}   # customer_scores stay (stored runs); customers: merged_into


def test_golden_pins_move_and_the_kept_customers_pin_wins(engine, session, pair):
    keep, drop = (session.scalars(select(Customer).where(Customer.code == code)).one()
                  for code in ("K1", "D1"))
    session.add_all([
        GoldenCustomer(ruleset_id="rs", customer_id=keep.id, expected_segment="seg_high"),
        GoldenCustomer(ruleset_id="rs", customer_id=drop.id, expected_segment="seg_low"),
        GoldenCustomer(ruleset_id="other", customer_id=drop.id, expected_segment="seg_low")])
    session.commit()
    result = merge_customers(engine, "K1", "D1", actor="admin")
    assert result.moved["golden_pins"] == 1
    assert "dropped golden pin rs (seg_low)" in result.lines()[2]
    session.expire_all()
    pins = session.execute(select(GoldenCustomer.ruleset_id, GoldenCustomer.customer_id,
                                  GoldenCustomer.expected_segment)
                           .order_by(GoldenCustomer.ruleset_id)).all()
    assert [tuple(p) for p in pins] == [("other", keep.id, "seg_low"),
                                        ("rs", keep.id, "seg_high")]




def test_cli_merges(run, session, pair):
    result = run("merge", "K1", "D1", "--actor", "alice")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "merged D1 into K1",
        "move: orders 2, payments 1, visits 1, tasks 3, segment overrides 1, "
        "workflow states 1, aliases 1, children 1 (C1)",
        "the kept customer's records win: cancelled task 1 (wf_a t-recurring); "
        "dropped workflow state wf_a (seg_low)",
        "D1 stays in stored runs (1, 2) as merged into K1"]
    assert session.scalar(select(AuditEntry.actor)) == "alice"


def test_a_dry_run_lists_what_would_move_and_changes_nothing(engine, session, pair, run):
    before = snapshot(session)
    preview = merge_customers(engine, "K1", "D1", actor="admin", dry_run=True)
    assert snapshot(session) == before
    assert preview.dry_run and preview.children == ["C1"] and preview.stored_runs == [1, 2]
    done = merge_customers(engine, "K1", "D1", actor="admin")
    assert (preview.moved, preview.replaced) == (done.moved, done.replaced)


def test_cli_dry_run(run, session, pair):
    before = snapshot(session)
    result = run("merge", "K1", "D1", "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "dry run, nothing changed: would merge D1 into K1",
        "would move: orders 2, payments 1, visits 1, tasks 3, segment overrides 1, "
        "workflow states 1, aliases 1, children 1 (C1)",
        "the kept customer's records win: would cancel task 1 (wf_a t-recurring); "
        "would drop workflow state wf_a (seg_low)",
        "D1 would stay in stored runs (1, 2) as merged into K1"]
    assert snapshot(session) == before


@pytest.mark.parametrize(("args", "message"), [
    (("K1", "K2"), "error: no customer 'K2' (did you mean 'K1'?)\n"),
    (("K1", "K1"), "error: cannot merge customer 'K1' into itself\n"),
    (("K1", "K1", "--dry-run"), "error: cannot merge customer 'K1' into itself\n"),
    (("X9", "D1"), "error: no customer 'X9'\n"),
    (("K1", "C1"), "error: cannot merge 'C1' (clinic) into 'K1' (hospital): customers of "
                   "different types are not duplicates\n"),
])
def test_cli_refuses_bad_merges_with_exit_1(run, session, pair, args, message):
    session.execute(update(Customer).where(Customer.code == "C1").values(type="clinic"))
    session.commit()
    before = snapshot(session)
    result = run("merge", *args)
    assert (result.exit_code, result.output) == (1, message)
    assert snapshot(session) == before


@pytest.mark.parametrize(("args", "message"), [
    (("H1", "U1"), "error: cannot merge 'U1' into 'H1': 'H1' is an ancestor of 'U1' "
                   "(parent chain U1 → W1 → H1); a customer and its parent are not duplicates\n"),
    (("U1", "H1", "--dry-run"), "error: cannot merge 'H1' into 'U1': 'H1' is an ancestor of "
                                "'U1' (parent chain U1 → W1 → H1); a customer and its parent "
                                "are not duplicates\n"),
])
def test_cli_refuses_a_merge_along_a_parent_chain(run, session, hospital_tree, args, message):
    before = snapshot(session)
    result = run("merge", *args)
    assert (result.exit_code, result.output) == (1, message)
    assert snapshot(session) == before


@pytest.mark.parametrize("args", [("K1", "D1"), ("D1", "K1"), ("D1", "C1")])
def test_cli_refuses_a_merged_code_on_either_side(run, session, pair, args):
    assert run("merge", "K1", "D1").exit_code == 0
    before = snapshot(session)
    result = run("merge", *args)
    assert (result.exit_code, result.output) == (
        1, "error: no customer 'D1': it was merged into 'K1'\n")
    assert snapshot(session) == before


def test_cli_needs_both_codes(run):
    result = run("merge", "K1")
    assert result.exit_code == 2 and "Missing argument 'DROP'" in result.output
