"""The documentation stays true: its commands are run and its quoted outputs compared.

A ```console block in a docs page starts with ``$ kamflow …``; the lines after it are the output
the page quotes. Each quoted line must match a line of the real output, in order (the page may
leave lines out); ``…`` in a quoted line stands for text that varies (a password, a timing).
Task due dates count from the day of the run, so in ``tasks`` commands any date matches.
The ```yaml blocks of docs/definitions.md that start with ``kind:`` must form a valid pack.
"""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from web.cli import cli

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.M | re.S)
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
LINK = re.compile(r"\]\(([^)\s]+)\)")


def console_blocks(page: str) -> list[tuple[list[str], list[str]]]:
    """(command arguments after ``kamflow``, quoted output lines) of each console block."""
    found = []
    for language, body in BLOCK.findall((DOCS / page).read_text(encoding="utf-8")):
        lines = body.splitlines()
        if language == "console" and lines and lines[0].startswith("$ kamflow "):
            found.append((shlex.split(lines[0][len("$ kamflow "):]), lines[1:]))
    return found


def quoted_pattern(line: str, any_date: bool) -> re.Pattern:
    pattern = ".*".join(re.escape(part) for part in line.rstrip().split("…"))
    if any_date:
        pattern = DATE.sub(r"\\d{4}-\\d{2}-\\d{2}", pattern.replace(r"\-", "-"))
    return re.compile(pattern)


def assert_quoted(args: list[str], quoted: list[str], output: str) -> None:
    """Every quoted line matches a later line of ``output`` than the one before it."""
    actual = [line.rstrip() for line in output.splitlines()]
    position = 0
    for line in quoted:
        pattern = quoted_pattern(line, any_date=args[0] == "tasks")
        for index in range(position, len(actual)):
            if pattern.fullmatch(actual[index]):
                position = index + 1
                break
        else:
            pytest.fail(f"kamflow {' '.join(args)}: the docs quote {line!r}, not in the output "
                        f"after line {position}:\n{output}")


@pytest.fixture
def run_page(engine, monkeypatch):
    """Run a page's console blocks in order from the project folder, checking their output."""
    monkeypatch.chdir(ROOT)
    runner = CliRunner()

    def run(page: str) -> int:
        blocks = console_blocks(page)
        for args, quoted in blocks:
            result = runner.invoke(cli, args, catch_exceptions=False)
            expected_code = 1 if any(line.endswith("rejected") or " rejected, " in line
                                     for line in quoted) else 0
            assert result.exit_code == expected_code, (args, result.output)
            assert_quoted(args, quoted, result.output)
        return len(blocks)

    return run


def test_quickstart_commands_print_what_the_page_says(run_page):
    assert run_page("quickstart.md") >= 10


def test_scoring_example_matches_the_hand_computation(run_page):
    run_page("quickstart.md")
    assert run_page("scoring.md") >= 3


def test_import_problems_are_the_ones_the_page_lists(run_page):
    run_page("quickstart.md")
    assert run_page("imports.md") >= 1


def test_cli_page_examples(run_page):
    run_page("quickstart.md")
    assert run_page("cli.md") >= 1


def test_definition_examples_form_a_valid_pack(tmp_path):
    pack = tmp_path / "pack"
    folders = {"form": "forms", "ruleset": "rules", "workflow": "workflows"}
    count = 0
    for language, body in BLOCK.findall((DOCS / "definitions.md").read_text(encoding="utf-8")):
        kind = re.match(r"kind: (\w+)\n", body)
        if language == "yaml" and kind:
            ident = re.search(r"^id: (\w+)$", body, re.M).group(1)
            folder = pack / folders[kind.group(1)]
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{ident}.yaml").write_text(body, encoding="utf-8")
            count += 1
    (pack / "pack.yaml").write_text("id: docs_definitions\nversion: '1'\ntitle: Docs\n")
    result = CliRunner().invoke(cli, ["pack", "validate", str(pack)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert count == 3 and "is valid: 1 form, 1 ruleset, 1 workflow" in result.output


def anchors(page: Path) -> set[str]:
    """The anchors GitHub makes of a page's headings: lower case, punctuation dropped."""
    headings = re.findall(r"^#+ (.+)$", page.read_text(encoding="utf-8"), re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def test_links_between_pages_lead_somewhere():
    broken = []
    for page in sorted(DOCS.glob("*.md")):
        for target in LINK.findall(page.read_text(encoding="utf-8")):
            if target.startswith(("http://", "https://")):
                continue
            path, _, anchor = target.partition("#")
            linked = (page.parent / path) if path else page
            if not linked.exists() or (anchor and anchor not in anchors(linked)):
                broken.append(f"{page.name}: {target}")
    assert broken == []
