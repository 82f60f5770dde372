"""The JSON Schemas (Draft 2020-12) that every definition is validated with, one per kind.

The schemas check structure only (keys, types, ranges, id patterns). Expression grammar and
references across definitions (a metric's field exists, a workflow's tasks exist, …) are checked
elsewhere. ``pack`` is the schema of ``pack.yaml``; it is not a definition kind.
"""
from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator

from engine.errors import NotFound

KINDS = ("form", "ruleset", "workflow")
SCHEMA_NAMES = (*KINDS, "pack")


@cache
def _load(name: str) -> dict[str, Any]:
    if name not in SCHEMA_NAMES:
        raise NotFound("schema", name, list(SCHEMA_NAMES))
    text = resources.files(__name__).joinpath(f"{name}.json").read_text(encoding="utf-8")
    return json.loads(text)


def schema_for(kind: str) -> dict[str, Any]:
    """The JSON Schema of a definition kind (or of ``pack``), as a fresh copy of the cached one."""
    return copy.deepcopy(_load(kind))


@cache
def validator_for(kind: str) -> Draft202012Validator:
    """A reusable validator for ``kind``; it also checks ``format: regex`` (a field's pattern)."""
    return Draft202012Validator(_load(kind), format_checker=Draft202012Validator.FORMAT_CHECKER)
