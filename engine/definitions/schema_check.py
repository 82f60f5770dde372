"""Checking documents against the JSON Schema of their kind, with positions and hints."""
from __future__ import annotations

from jsonschema import ValidationError
from jsonschema.exceptions import best_match

from engine.definitions.catalog import excerpt
from engine.definitions.documents import Document, did_you_mean
from engine.errors import Problem
from engine.schemas import validator_for


def schema_problems(doc: Document) -> list[Problem]:
    """Every schema violation of ``doc``, most specific cause first, sorted by position."""
    validator = validator_for(doc.kind)
    problems = []
    for error in validator.iter_errors(doc.content):
        problems.extend(_describe(doc, _most_specific(error)))
    return sorted(set(problems), key=lambda p: (p.line or 0, p.column or 0, p.path or ""))


def _most_specific(error: ValidationError) -> ValidationError:
    """For a failed ``oneOf``/``anyOf``, the branch error jsonschema judges most relevant."""
    return best_match([error]) if error.context else error


def _describe(doc: Document, error: ValidationError) -> list[Problem]:
    path = tuple(error.absolute_path)
    if error.validator in ("additionalProperties", "unevaluatedProperties"):
        return _unknown_keys(doc, error, path)
    message = error.message
    if isinstance(error.instance, str):
        # jsonschema quotes the whole value ("'…' is too long"): an excerpt says enough.
        message = message.replace(repr(error.instance), excerpt(error.instance))
    return [doc.problem(path, message)]


def _unknown_keys(doc: Document, error: ValidationError, path: tuple) -> list[Problem]:
    """One problem per unexpected key, placed on the key, with a "did you mean"."""
    schema, instance = error.schema, error.instance
    known = set(schema.get("properties", {}))
    if not isinstance(instance, dict) or not known:
        return [doc.problem(path, error.message)]
    extra = [k for k in instance if k not in known]
    if not extra:
        return [doc.problem(path, error.message)]
    allowed = ", ".join(sorted(known))
    return [doc.problem(path + (key,), f"unknown key {key!r}{did_you_mean(key, known)}; "
                                       f"expected one of: {allowed}", at_key=True)
            for key in extra]
