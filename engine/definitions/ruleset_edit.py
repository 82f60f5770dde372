"""Structured edits of a definition's text that keep the rest of it as it was, comments included.

A change names a place by its path (``("axes", "value", "items", 1, "weight")``, as problems
name it) and says what to do there: ``SetValue`` (``None`` removes the key), ``Remove``,
``Move`` (one list entry to another index) or ``Append``. ``apply_changes(text, changes)``
returns the new text; a change that does not fit the document raises ``EditError`` naming the
path, and nothing is changed.

YAML is edited with ruamel.yaml's round trip, which keeps comments but re-flows some spacing
(the padding that aligns ``revenue:        {...}``). So that an edit touches only the lines it
changes, the round-trip output of the edited document is compared line by line with the
round-trip output of the unedited one, and only the differing lines replace lines of the
original text. JSON is rewritten whole (it holds no comments).
"""
from __future__ import annotations

import difflib
import io
import json
import re
from dataclasses import dataclass
from typing import Any, Union

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import ScalarString, SingleQuotedScalarString
from yaml import YAMLError as YAMLErrorV11
from yaml import safe_load as yaml_safe_load

from engine.definitions.documents import read_document
from engine.definitions.source import SourceFile
from engine.definitions.validate import check_documents, sort_problems
from engine.definitions.yamlsafe import json_path
from engine.errors import InvalidInput, Problem

Path = tuple[Union[str, int], ...]


@dataclass(frozen=True)
class SetValue:
    """Set the value at ``path`` (its mapping parents are made when missing); ``None``
    removes the key."""

    path: Path
    value: Any


@dataclass(frozen=True)
class Remove:
    """Remove a mapping key or a list entry."""

    path: Path


@dataclass(frozen=True)
class Move:
    """Move entry ``index`` of the list at ``path`` to index ``to`` (the others shift)."""

    path: Path
    index: int
    to: int


@dataclass(frozen=True)
class Append:
    """Add ``value`` at the end of the list at ``path``."""

    path: Path
    value: Any


Change = Union[SetValue, Remove, Move, Append]


class EditError(InvalidInput):
    """A change that does not fit the document: where, and what is wrong."""

    def __init__(self, path: Path, message: str):
        self.path = path
        super().__init__([Problem(path=json_path(path), message=message)], subject="edit")


def apply_changes(text: str, changes: list[Change], file_format: str = "yaml") -> str:
    """``text`` with ``changes`` applied in order; unchanged text when nothing differs."""
    if not changes:
        return text
    if file_format == "json":
        return _apply_json(text, changes)
    return _apply_yaml(text, changes)


# --- the document tree ----------------------------------------------------------------------

def _apply_all(document: Any, changes: list[Change]) -> bool:
    """Apply ``changes`` to ``document`` in place; whether anything differs."""
    changed = False
    for change in changes:
        changed |= _apply_one(document, change)
    return changed


def _apply_one(document: Any, change: Change) -> bool:
    if isinstance(change, SetValue):
        return _set(document, change.path, change.value)
    if isinstance(change, Remove):
        parent, key = _parent(document, change.path)
        _child(parent, key, change.path)
        del parent[key]
        return True
    if isinstance(change, Move):
        return _move(document, change)
    if isinstance(change, Append):
        target = _at(document, change.path)
        if not isinstance(target, list):
            raise EditError(change.path, "is not a list")
        target.append(_styled(change.value))
        return True
    raise TypeError(f"unknown change {change!r}")


def _at(document: Any, path: Path) -> Any:
    node = document
    for depth, key in enumerate(path):
        node = _child(node, key, path[:depth + 1])
    return node


def _child(node: Any, key, path: Path) -> Any:
    if isinstance(node, dict) and isinstance(key, str):
        if key not in node:
            raise EditError(path, "does not exist")
        return node[key]
    if isinstance(node, list) and isinstance(key, int):
        if not 0 <= key < len(node):
            raise EditError(path, f"there is no entry {key} (the list has {len(node)})")
        return node[key]
    raise EditError(path, "does not exist (the place above it is not a "
                          f"{'list' if isinstance(key, int) else 'mapping'})")


def _parent(document: Any, path: Path) -> tuple[Any, Any]:
    if not path:
        raise EditError(path, "the whole document cannot be replaced by an edit")
    return _at(document, path[:-1]), path[-1]


def _set(document: Any, path: Path, value: Any) -> bool:
    if not path:
        raise EditError(path, "the whole document cannot be replaced by an edit")
    node = document
    for depth, key in enumerate(path[:-1]):
        if isinstance(node, dict) and isinstance(key, str) and key not in node:
            if any(isinstance(k, int) for k in path[depth:]):
                raise EditError(path[:depth + 1], "does not exist")
            if value is None:
                return False
            node[key] = _styled({})
        node = _child(node, key, path[:depth + 1])
    key = path[-1]
    if isinstance(node, dict) and isinstance(key, str):
        if value is None:
            return node.pop(key, None) is not None
        if key in node and _same(node[key], value):
            return False
        node[key] = _styled(value, like=node.get(key))
        return True
    if isinstance(node, list) and isinstance(key, int):
        current = _child(node, key, path)
        if value is None:
            raise EditError(path, "a list entry is removed, not set to nothing")
        if _same(current, value):
            return False
        node[key] = _styled(value, like=current)
        return True
    raise EditError(path, "does not exist (the place above it is not a "
                          f"{'list' if isinstance(key, int) else 'mapping'})")


def _move(document: Any, change: Move) -> bool:
    target = _at(document, change.path)
    if not isinstance(target, list):
        raise EditError(change.path, "is not a list")
    for index in (change.index, change.to):
        if not 0 <= index < len(target):
            raise EditError(change.path + (index,),
                            f"there is no entry {index} (the list has {len(target)})")
    if change.index == change.to:
        return False
    entry = target.pop(change.index)
    target.insert(change.to, entry)
    return True


def _same(current: Any, value: Any) -> bool:
    """Equal as data (``35`` and ``35.0`` are, ``True`` and ``1`` are not)."""
    return _plain(current) == _plain(value) and _kinds(current) == _kinds(value)


def _kinds(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _kinds(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_kinds(v) for v in value]
    return _kind(value)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "text"
    return "null" if value is None else type(value).__name__


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):
        return float(value)
    if isinstance(value, int):
        return int(value)
    return str(value) if isinstance(value, str) else value


def _styled(value: Any, like: Any = None) -> Any:
    """``value`` as ruamel nodes: new mappings and lists are written in flow style
    (``{min: 10, points: 7}``), unless they replace a block-style one."""
    block = isinstance(like, (CommentedMap, CommentedSeq)) and not like.fa.flow_style()
    if isinstance(value, dict):
        node = CommentedMap((_text(k), _styled(v)) for k, v in value.items())
    elif isinstance(value, list):
        node = CommentedSeq(_styled(v) for v in value)
    else:
        return _text(value)
    if not block:
        node.fa.set_flow_style()
    return node


def _text(value: Any) -> Any:
    """A string that a YAML 1.1 reader (the validator's) would take for something else
    (``yes``, ``1``, ``null``, ``2026-01-01``) is written quoted; others as they are."""
    if not isinstance(value, str) or isinstance(value, ScalarString):
        return value
    try:
        read = yaml_safe_load(f"k: {value}") if value.strip() == value and value else None
    except YAMLErrorV11:
        read = None
    if isinstance(read, dict) and read.get("k") == value:
        return value
    return SingleQuotedScalarString(value)


# --- YAML -----------------------------------------------------------------------------------

def round_trip_yaml(text: str) -> YAML:
    """ruamel's round-trip reader and writer, indenting as ``text`` does."""
    round_trip = YAML(typ="rt")
    round_trip.preserve_quotes = True
    round_trip.width = 4096
    mapping, sequence, offset = _indentation(text)
    round_trip.indent(mapping=mapping, sequence=sequence, offset=offset)
    return round_trip


_KEY_LINE = re.compile(r"^( *)[^\s#-][^:#]*:(\s|$)")
_DASH_LINE = re.compile(r"^( *)- ")


def _indentation(text: str) -> tuple[int, int, int]:
    """(mapping indent, sequence indent, dash offset) as the text writes them."""
    mapping, offset, previous_key = None, None, 0
    for line in text.splitlines():
        dash, key = _DASH_LINE.match(line), _KEY_LINE.match(line)
        if dash:
            if offset is None:
                offset = max(0, len(dash.group(1)) - previous_key)
        elif key:
            column = len(key.group(1))
            if column > previous_key and mapping is None:
                mapping = column - previous_key
            previous_key = column
    mapping = mapping or 2
    offset = 2 if offset is None else offset
    return mapping, offset + 2, offset


def _load(round_trip: YAML, text: str) -> Any:
    try:
        return round_trip.load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise EditError((), f"the text is not valid YAML{where}; fix it in the YAML editor "
                            "first") from None


def _dump(round_trip: YAML, document: Any) -> str:
    out = io.StringIO()
    round_trip.dump(document, out)
    return out.getvalue()


def _apply_yaml(text: str, changes: list[Change]) -> str:
    round_trip = round_trip_yaml(text)
    document = _load(round_trip, text)
    if not isinstance(document, dict):
        raise EditError((), "the text does not hold a mapping")
    before = _dump(round_trip, document)
    if not _apply_all(document, changes):
        return text
    return _merge(text, before, _dump(round_trip, document))


def _merge(original: str, before: str, after: str) -> str:
    """``original`` with the lines where ``after`` differs from ``before`` (both re-written by
    ruamel) replaced; the whole of ``after`` if ruamel's lines do not match the original's."""
    old, ours, theirs = (t.splitlines(keepends=True) for t in (original, before, after))
    if len(old) != len(ours) or any(_squeezed(a) != _squeezed(b) for a, b in zip(old, ours)):
        return after
    out: list[str] = []
    matcher = difflib.SequenceMatcher(None, ours, theirs, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        out += old[i1:i2] if tag == "equal" else theirs[j1:j2]
    merged = "".join(out)
    if original.endswith("\n") is False and merged.endswith("\n"):
        merged = merged[:-1]
    return merged


def _squeezed(line: str) -> str:
    return re.sub(r"\s+", "", line)


# --- JSON -----------------------------------------------------------------------------------

def _apply_json(text: str, changes: list[Change]) -> str:
    try:
        document = json.loads(text)
    except ValueError:
        raise EditError((), "the text is not valid JSON; fix it in the text editor first") \
            from None
    if not isinstance(document, dict):
        raise EditError((), "the text does not hold an object")
    if not _apply_all(document, changes):
        return text
    return json.dumps(_plain(document), ensure_ascii=False, indent=2) + "\n"


# --- checking a text without saving it ------------------------------------------------------

def check_text(text: str, file: str, published_documents) -> list[Problem]:
    """The problems ``pack import`` would report for ``text`` against the published
    definitions (nothing is stored)."""
    doc, problems = read_document(SourceFile(file, text))
    if doc is not None:
        problems += check_documents([doc], published_documents)
    return sort_problems(problems)
