"""CSV exports are safe to open in a spreadsheet (SPEC §7): text that a spreadsheet would run
as a formula gets a leading ``'``; numbers stay numbers; JSON stays verbatim."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import String, literal, null, select, update

from engine.cli.workflow_cmds import tasks
from engine.customers.names import normalize_name
from engine.models import Customer, Task
from engine.spreadsheet import cell, lf_csv_writer, safe_text, sql_text_cell, text_cell
from engine.tasks import LIST_FIELDS
from engine.workflows import apply_run
from tests import eval_support
from tests.eval_support import D, Facts, ruleset
from tests.workflow_support import add_customer, add_user, install, store_run, template, workflow
from web.cli import cli

HOSTILE = ['=HYPERLINK("http://x")', "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3",
           "\tTAB=1+1", "\rCR=1+1"]


@pytest.fixture
def invoke(engine):
    runner = CliRunner()

    def run(*args, group=cli):
        result = runner.invoke(group, [str(a) for a in args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result

    return run


def test_text_cells_are_neutralised_by_type_not_by_first_character():
    assert [safe_text(text) for text in HOSTILE] == ["'" + text for text in HOSTILE]
    assert [safe_text(t) for t in ("", "a=1", "'quoted", "中=1", " =1")] == [
        "", "a=1", "'quoted", "中=1", " =1"]
    assert (text_cell(None), text_cell("-5")) == ("", "'-5")        # text, even if numeric
    assert [cell(v) for v in (-5, -2.5, 0, None, True, False, D(2026, 3, 1), "=1")] == [
        "-5", "-2.5", "0", "", "true", "false", "2026-03-01", "'=1"]


# --- kamflow tasks list ------------------------------------------------------------------------

@pytest.fixture
def hostile_tasks(engine, session, tmp_path):
    """One task per hostile customer name (the title is the name), assigned to '@SUM(1)'."""
    add_user(session, "@SUM(1)", "rep", team="north")
    session.commit()
    install(engine, tmp_path / "pack",
            workflow(on_enter={"a": ["call"]},
                     tasks={"call": template("call", title="{{ customer.name }}")}))
    codes = {}
    for number, name in enumerate(HOSTILE, 1):
        code = f"-{number}" if number % 2 else f"C{number}"
        add_customer(session, code, "@SUM(1)", name=name)
        codes[code] = "a"
    session.commit()
    return apply_run(engine, store_run(engine, codes))


def test_tasks_list_csv_neutralises_titles_codes_and_assignees(invoke, hostile_tasks):
    output = invoke("list", "--format", "csv", group=tasks).output
    rows = list(csv.reader(io.StringIO(output, newline="")))
    titles = {row[1]: row[6] for row in rows[1:]}
    assert sorted(titles.values()) == sorted("'" + name for name in HOSTILE)
    assert sorted(titles) == ["'-1", "'-3", "'-5", "C2", "C4", "C6"]
    first = rows[1]
    assert first[0].isdigit() and first[-1].isdigit()        # ids and run ids stay numbers
    assert first[8] == "false" and first[9] == "'@SUM(1)"
    assert dt.date.fromisoformat(first[11])
    assert output.splitlines()[1].endswith(",false,'@SUM(1),open," + first[11] + "," + first[12])


def test_tasks_list_json_is_verbatim_and_as_json_dumps_writes_it(invoke, hostile_tasks):
    output = invoke("list", "--format", "json", group=tasks).output
    records = json.loads(output)
    assert sorted(r["title"] for r in records) == sorted(HOSTILE)
    assert {r["customer_code"] for r in records} >= {"-1", "-3", "-5"}
    assert {r["assignee"] for r in records} == {"@SUM(1)"}
    assert output == json.dumps(records, ensure_ascii=False, indent=2) + "\n"


def test_an_empty_tasks_list_in_csv_and_json(invoke, engine):
    assert invoke("tasks", "list", "--format", "csv").output == (
        "id,customer_code,workflow,template,segment,previous_segment,title,kind,recurring,"
        "assignee,status,due_date,run_id\n")
    assert invoke("tasks", "list", "--format", "json").output == "[]\n"


# --- kamflow scores export ---------------------------------------------------------------------

@pytest.fixture
def hostile_scores(engine, tmp_path):
    eval_support.install(engine, tmp_path, ruleset(
        metrics={"growth": {"field": "growth"}, "note": {"field": "note"}},
        axes={"main": {"label": "Main", "items": [
            {"metric": "growth", "weight": 1, "score": {"linear": {"from": -10, "to": 10}}}]}}))
    facts = Facts(engine)
    facts.customer("@SUM(1)", type="clinic", growth=-5, note='=HYPERLINK("http://x")')
    facts.customer("-2+3", type="clinic", growth=-2.5, note="+cmd|' /C calc'!A0")
    facts.customer("B", type="clinic", growth=10, note="\tTAB=1+1")
    facts.customer("C", type="clinic", note="-5")
    facts.customer("D", type="clinic", growth=0, note="\rCR=1+1")


def test_scores_export_csv_neutralises_text_and_keeps_negative_numbers(invoke, hostile_scores):
    invoke("evaluate", "rs", "--as-of", "2026-03-31")
    output = invoke("scores", "export").stdout_bytes.decode("utf-8")
    assert output == (
        "customer_code,segment,effective_segment,main,growth,growth_points,note\r\n"
        "'-2+3,low,low,37.5,-2.5,3.75,'+cmd|' /C calc'!A0\r\n"
        "'@SUM(1),low,low,25,-5,2.5,\"'=HYPERLINK(\"\"http://x\"\")\"\r\n"
        "B,high,high,100,10,10,'\tTAB=1+1\r\n"
        "C,low,low,0,,0,'-5\r\n"
        "D,high,high,50,0,5,\"'\rCR=1+1\"\r\n")


def test_scores_export_to_a_file_and_json_verbatim(invoke, hostile_scores, tmp_path):
    invoke("evaluate", "rs", "--as-of", "2026-03-31")
    out = tmp_path / "scores.csv"
    result = invoke("scores", "export", "-o", out)
    assert "wrote 5 rows of run 1 to" in result.output
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"), newline="")))
    assert [row[0] for row in rows[1:]] == ["'-2+3", "'@SUM(1)", "B", "C", "D"]
    assert [row[4] for row in rows[1:]] == ["-2.5", "-5", "10", "", "0"]
    records = json.loads(invoke("scores", "export", "--format", "json").output)
    assert [(r["customer_code"], r["growth"], r["note"]) for r in records] == [
        ("-2+3", -2.5, "+cmd|' /C calc'!A0"), ("@SUM(1)", -5, '=HYPERLINK("http://x")'),
        ("B", 10, "\tTAB=1+1"), ("C", None, "-5"), ("D", 0, "\rCR=1+1")]


# --- kamflow customers duplicates ------------------------------------------------------------

def test_duplicates_csv_neutralises_codes_names_and_cities(invoke, session):
    name = "=cmd|' /C calc'!A0 医院"
    session.add_all([Customer(code=code, name=name, normalized_name=normalize_name(name),
                              type="hospital", city="@城市") for code in ("-1", "=2")])
    session.commit()
    output = invoke("customers", "duplicates", "--format", "csv").output
    assert output.splitlines() == [
        "score,code,name,other_code,other_name,type,city,reason",
        "100,'-1,'=cmd|' /C calc'!A0 医院,'=2,'=cmd|' /C calc'!A0 医院,hospital,'@城市,"
        "same normalized name"]
    table = invoke("customers", "duplicates").output                 # the terminal: as typed
    assert "-1    =cmd|' /C calc'!A0 医院" in table


def test_the_database_neutralises_text_as_python_does(engine):
    texts = [*HOSTILE, "", "plain", "a=1", "-5", "'quoted", "中=1"]
    with engine.connect() as connection:
        made = [connection.scalar(select(sql_text_cell(literal(t, String)))) for t in texts]
        assert made == [text_cell(t) for t in texts]
        assert connection.scalar(select(sql_text_cell(null()))) == ""


def test_tasks_list_csv_titles_fall_back_like_pick_text(invoke, session, hostile_tasks):
    session.execute(update(Task).where(Task.id == 1).values(title={"fr": "=fr", "de": "de"}))
    session.execute(update(Task).where(Task.id == 2).values(title={"": "@plain"}))
    session.execute(update(Task).where(Task.id == 3).values(title={"en": "en", "zh": "+中"}))
    session.commit()
    titles = {row[0]: row[6] for row in csv.reader(io.StringIO(
        invoke("list", "--format", "csv", "--locale", "zh", group=tasks).output))}
    assert (titles["1"], titles["2"], titles["3"]) == ("'=fr", "'@plain", "'+中")
    english = {row[0]: row[6] for row in csv.reader(io.StringIO(
        invoke("list", "--format", "csv", group=tasks).output))}
    assert english["3"] == "en"
    records = json.loads(invoke("list", "--format", "json", "--locale", "zh",
                                group=tasks).output)
    assert [r["title"] for r in records if r["id"] in (1, 2, 3)] == ["=fr", "@plain", "+中"]


def test_tasks_list_csv_is_what_the_csv_module_writes(invoke, session, hostile_tasks):
    """Quoting (commas, quotes, line breaks), empty cells and the fast unquoted batches: the
    output is byte for byte the csv module's over the JSON listing's values."""
    odd = {1: "a,b", 2: 'say "hi"', 3: "line\nbreak", 4: "", 5: "end\r"}
    for task_id, title in odd.items():
        session.execute(update(Task).where(Task.id == task_id).values(title={"zh": title}))
    session.commit()
    output = invoke("list", "--format", "csv", "--locale", "zh", group=tasks).output
    records = json.loads(invoke("list", "--format", "json", "--locale", "zh",
                                group=tasks).output)
    expected = io.StringIO(newline="")
    writer = lf_csv_writer(expected)
    writer.writerow(LIST_FIELDS)
    for record in records:
        writer.writerow([cell(record[field]) if field in ("id", "run_id", "due_date",
                                                           "recurring")
                         else text_cell(record[field]) for field in LIST_FIELDS])
    assert {r["title"] for r in records} >= set(odd.values())
    assert output == expected.getvalue()
