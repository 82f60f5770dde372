"""``--columns MAPPING.yaml``: the headers an export uses for an import kind's columns.

The file maps a column (or, for customers, a form field key) to the header that holds it::

    order_id: 单据编号
    customer: 终端编码

A mapping that cannot be used is refused whole, naming the mapping file, the key and its line:
a file that is not YAML or not a mapping, a column the kind does not have, a header that is
not text or that two columns claim.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

from engine.definitions.yamlsafe import LineMap, json_path, parse_yaml
from engine.errors import InvalidInput, Problem
from engine.forms import WHITE_SPACE, describe
from engine.imports.headers import normal
from engine.imports.limits import KIB, size_text

MAX_MAPPING_BYTES = 256 * KIB
EXAMPLE = "order_id: 单据编号"


@dataclass(frozen=True)
class ColumnMapping:
    """Column → header, as the mapping file spells it; ``lines`` locates each key."""

    file: str
    headers: dict[str, str]
    lines: LineMap = field(default_factory=LineMap, compare=False)

    def problem(self, column: str | None, message: str, key: bool = True) -> Problem:
        path = (column,) if column is not None else ()
        line, col = self.lines.find(path, key=key) or (None, None)
        return Problem(file=self.file, line=line, column=col,
                       path=json_path(path) if path else None, message=message)

    def rejection(self, problems: list[Problem]) -> InvalidInput:
        return InvalidInput(problems, subject=f"column mapping {self.file}")

    def check_columns(self, kind: str, columns, field_keys=()) -> None:
        """Refuse a key that is not a column of ``kind`` (nor a form field's key)."""
        known = [*columns, *sorted(field_keys)]
        problems = []
        for column in self.headers:
            if column not in known:
                close = difflib.get_close_matches(column, known, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                problems.append(self.problem(column, f"expected a column of {kind} "
                                                     f"({', '.join(known)}), got {column!r}{hint}"))
        if problems:
            raise self.rejection(problems)


def read_mapping(path: Path) -> ColumnMapping:
    """The mapping in the file at ``path``; ``InvalidInput`` naming what is wrong if unusable."""
    name = path.name
    empty = ColumnMapping(name, {})
    size = path.stat().st_size
    if size > MAX_MAPPING_BYTES:
        raise empty.rejection([Problem(file=name, message=f"expected a file of at most "
                                       f"{size_text(MAX_MAPPING_BYTES)}, got {size_text(size)}")])
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise empty.rejection([Problem(file=name, message=f"expected UTF-8 text, got a byte "
                                       f"that is not UTF-8 at offset {exc.start}")]) from None
    parsed = parse_yaml(text, name)
    if parsed.problems:
        raise empty.rejection(parsed.problems)
    mapping = ColumnMapping(name, {}, parsed.lines)
    if not isinstance(parsed.content, dict):
        found = _kind_of(parsed.content)
        raise mapping.rejection([mapping.problem(
            None, f"expected a mapping of column to header ({EXAMPLE}), got {found}")])
    problems: list[Problem] = []
    claimed: dict[str, str] = {}
    for column, header in parsed.content.items():
        if not isinstance(header, str) or not header.strip(WHITE_SPACE):
            problems.append(mapping.problem(column, f"expected the header of {column} as "
                                                    f"text, got {_kind_of(header)}", key=False))
            continue
        first = claimed.setdefault(normal(header), column)
        if first != column:
            problems.append(mapping.problem(column, f"expected a header mapped once, got "
                                                    f"{header!r} again (mapped to {first})",
                                            key=False))
            continue
        mapping.headers[column] = header.strip(WHITE_SPACE)
    if problems:
        raise mapping.rejection(problems)
    return mapping


def _kind_of(value) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return describe(value)
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean to YAML; quote it)"
    return f"{value!r} (a number to YAML; quote it)"
