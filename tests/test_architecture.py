"""The shape of the house: engine never imports web or Flask, and knows no pack by name."""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PACK_WORDS = ("star", "cash_cow", "question", "dog", "profit", "payment_days",
                      "weekly_visit", "value_potential", "quadrant_followup")


def python_files(package: str):
    return sorted((ROOT / package).rglob("*.py"))


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_engine_never_imports_web_or_flask():
    offenders = {str(p.relative_to(ROOT)): sorted(m for m in imported_modules(p)
                                                  if m.split(".")[0] in ("web", "flask"))
                 for p in python_files("engine")}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_errors_module_imports_nothing_of_ours():
    modules = imported_modules(ROOT / "engine" / "errors.py")
    assert not any(m.split(".")[0] in ("engine", "web") for m in modules)


def test_code_names_nothing_from_the_default_pack():
    pattern = re.compile(r"\b(" + "|".join(DEFAULT_PACK_WORDS) + r")\b")
    hits = []
    for package in ("engine", "web"):
        for path in python_files(package):
            for number, line in enumerate(path.read_text().splitlines(), 1):
                code = line.split("#", 1)[0]
                if pattern.search(code):
                    hits.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert hits == []


def test_no_eval_exec_or_unsafe_yaml():
    pattern = re.compile(r"(?<![\w.])(eval|exec)\(|yaml\.load\(|unsafe_load|pickle\.loads")
    hits = [str(p.relative_to(ROOT)) for package in ("engine", "web")
            for p in python_files(package) if pattern.search(p.read_text())]
    assert hits == []
