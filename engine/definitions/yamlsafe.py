"""Safe YAML/JSON reading that keeps the line of every value and refuses tags and bombs.

Documents are composed into PyYAML nodes (linear in the file size, aliases are shared nodes)
and then built by hand from plain scalars, maps and lists only. Every built node is counted, so
an alias bomb stops after ``MAX_NODES`` instead of expanding to a billion entries.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from engine.errors import Problem

MAX_NODES = 100_000
MAX_DEPTH = 64
TOO_DEEP = f"document nests deeper than {MAX_DEPTH} levels"

_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {f"{_TAG}{t}" for t in ("str", "int", "float", "bool", "null")}
_TIMESTAMP = f"{_TAG}timestamp"
_MAP, _SEQ = f"{_TAG}map", f"{_TAG}seq"

Path = tuple  # a JSON path as a tuple of keys and indices


@dataclass
class LineMap:
    """1-based (line, column) of each value, and of each mapping key, by JSON path."""

    values: dict[Path, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def find(self, path: Path, key: bool = False) -> tuple[int, int] | None:
        """The position of the value at ``path`` (of its key when ``key``), else of the nearest
        ancestor that has one."""
        path = tuple(path)
        first, second = (self.keys, self.values) if key else (self.values, self.keys)
        while True:
            if path in first:
                return first[path]
            if path in second:
                return second[path]
            if not path:
                return None
            path = path[:-1]


@dataclass
class Parsed:
    content: Any = None
    lines: LineMap = field(default_factory=LineMap)
    problems: list[Problem] = field(default_factory=list)


class _Builder:
    """Turns a composed node tree into plain Python values, recording positions and problems."""

    def __init__(self, loader: yaml.SafeLoader, file: str):
        self.loader, self.file = loader, file
        self.lines = LineMap()
        self.problems: list[Problem] = []
        self.count = 0

    def problem(self, node: yaml.Node, path: Path, message: str) -> None:
        mark = node.start_mark
        self.problems.append(Problem(file=self.file, line=mark.line + 1, column=mark.column + 1,
                                     path=json_path(path), message=message))

    def build(self, node: yaml.Node, path: Path = (), depth: int = 0) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise _TooLarge(node, f"document expands to more than {MAX_NODES} values "
                                  "(nested aliases?)")
        if depth > MAX_DEPTH:
            raise _TooLarge(node, TOO_DEEP)
        self.lines.values.setdefault(path, _pos(node))
        if isinstance(node, yaml.MappingNode) and node.tag == _MAP:
            return self._mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode) and node.tag == _SEQ:
            return [self.build(item, path + (i,), depth + 1) for i, item in enumerate(node.value)]
        if isinstance(node, yaml.ScalarNode) and node.tag == _TIMESTAMP:
            return node.value  # dates stay text: the schemas and expressions decide
        if isinstance(node, yaml.ScalarNode) and node.tag in _SCALAR_TAGS:
            return self.loader.construct_object(node)
        self.problem(node, path, f"YAML tag {node.tag.replace(_TAG, '!!')!r} is not allowed")
        return None

    def _mapping(self, node: yaml.MappingNode, path: Path, depth: int) -> dict:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = self._key(key_node, path)
            if key is None:
                continue
            if key in result:
                self.problem(key_node, path + (key,), f"duplicate key {key!r}")
                continue
            self.lines.keys[path + (key,)] = _pos(key_node)
            result[key] = self.build(value_node, path + (key,), depth + 1)
        return result

    def _key(self, node: yaml.Node, path: Path) -> str | None:
        if isinstance(node, yaml.ScalarNode) and node.tag == f"{_TAG}str":
            return node.value
        if isinstance(node, yaml.ScalarNode) and node.tag == f"{_TAG}merge":
            self.problem(node, path, "YAML merge keys '<<' are not supported")
        elif isinstance(node, yaml.ScalarNode):
            self.problem(node, path, f"map key {node.value!r} is read by YAML as "
                                     f"{node.tag.replace(_TAG, '')}, not text; quote it")
        else:
            self.problem(node, path, "map keys must be plain text")
        return None


class _DepthLimitedLoader(yaml.SafeLoader):
    """PyYAML's composer recurses once per level: stop it before Python's stack runs out."""

    def __init__(self, text: str):
        super().__init__(text)
        self.depth = 0

    def compose_node(self, parent, index):
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH + 1:
                raise _TooDeep(self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


class _TooDeep(Exception):
    def __init__(self, mark):
        super().__init__(TOO_DEEP)
        self.mark = mark


class _TooLarge(Exception):
    def __init__(self, node: yaml.Node, message: str):
        super().__init__(message)
        self.node, self.message = node, message


def _pos(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def json_path(path: Path) -> str:
    """``('axes', 'value', 'items', 2)`` → ``$.axes.value.items[2]``."""
    out = "$"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def parse_yaml(text: str, file: str) -> Parsed:
    """Parse one YAML document; syntax errors, tags, non-text keys and bombs become problems."""
    loader = _DepthLimitedLoader(text)
    try:
        node = loader.get_single_node()
    except _TooDeep as exc:
        return Parsed(problems=[Problem(file=file, line=exc.mark.line + 1,
                                        column=exc.mark.column + 1, message=TOO_DEEP)])
    except yaml.MarkedYAMLError as exc:
        return Parsed(problems=[_syntax_problem(exc, file)])
    except yaml.YAMLError as exc:
        return Parsed(problems=[Problem(file=file, message=f"malformed YAML: {exc}")])
    finally:
        loader.dispose()
    if node is None:
        return Parsed(problems=[Problem(file=file, line=1, message="the file is empty")])
    builder = _Builder(loader, file)
    try:
        content = builder.build(node)
    except _TooLarge as exc:
        line, column = _pos(exc.node)
        return Parsed(problems=[Problem(file=file, line=line, column=column, message=exc.message)])
    return Parsed(content, builder.lines, builder.problems)


def _syntax_problem(exc: yaml.MarkedYAMLError, file: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    what = " ".join(filter(None, [exc.context, exc.problem]))
    return Problem(file=file, line=mark.line + 1 if mark else None,
                   column=mark.column + 1 if mark else None, message=f"malformed YAML: {what}")


def parse_json(text: str, file: str) -> Parsed:
    """Parse strict JSON (duplicate keys refused); positions come from the YAML composer."""
    duplicates: list[str] = []

    def pairs(items):
        seen: dict[str, Any] = {}
        for key, value in items:
            if key in seen:
                duplicates.append(key)
            seen[key] = value
        return seen

    too_deep = _json_too_deep(text)
    if too_deep is not None:
        return Parsed(problems=[Problem(file=file, line=too_deep[0], column=too_deep[1],
                                        message=TOO_DEEP)])
    try:
        content = json.loads(text, object_pairs_hook=pairs)
    except json.JSONDecodeError as exc:
        return Parsed(problems=[Problem(file=file, line=exc.lineno, column=exc.colno,
                                        message=f"malformed JSON: {exc.msg}")])
    problems = [Problem(file=file, message=f"duplicate key {k!r}") for k in duplicates]
    as_yaml = parse_yaml(text, file)
    lines = as_yaml.lines if not as_yaml.problems else LineMap()
    return Parsed(content, lines, problems)


_JSON_NESTING = re.compile(r'"(?:[^"\\]|\\.)*+"|[\[\]{}]')


def _json_too_deep(text: str) -> tuple[int, int] | None:
    """(line, column) of the first bracket nested deeper than MAX_DEPTH, found without
    recursion (the json module's decoder recurses once per level)."""
    depth = 0
    for match in _JSON_NESTING.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > MAX_DEPTH + 1:
                line = text.count("\n", 0, match.start()) + 1
                return line, match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
        elif token in "]}":
            depth -= 1
    return None


def parse_text(text: str, file: str) -> Parsed:
    """Parse by the file's extension: ``.json`` as JSON, anything else as YAML."""
    return parse_json(text, file) if file.endswith(".json") else parse_yaml(text, file)
