"""Immutable spec objects built from validated definition content.

Runtime records (runs, states, tasks) point at the stored version a spec came from; a spec
never changes after it is built.
"""
from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

from engine.text import pick_text


@dataclass(frozen=True)
class LocalText:
    """Human text: one string or several by locale."""

    by_locale: Mapping[str, str]

    @classmethod
    def of(cls, value) -> "LocalText":
        return cls(MappingProxyType(dict(value) if isinstance(value, dict) else {"": value}))

    def get(self, locale: str | None = None) -> str:
        texts = dict(self.by_locale)
        return texts[""] if "" in texts else pick_text(texts, locale)


def frozen_map(mapping) -> Mapping:
    return MappingProxyType(dict(mapping))


# --- forms -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Option:
    value: object
    label: LocalText


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: LocalText
    type: str
    required: bool = False
    min: float | None = None
    max: float | None = None
    max_length: int | None = None
    pattern: str | None = None
    options: tuple[Option, ...] = ()
    default: object = None
    help: LocalText | None = None
    section: LocalText | None = None
    visible_if: str | None = None


@dataclass(frozen=True)
class FormSpec:
    id: str
    title: LocalText
    customer_type: str
    fields: tuple[FieldSpec, ...]
    version_id: int | None = None

    def field(self, key: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.key == key), None)


def _optional_text(value) -> LocalText | None:
    return None if value is None else LocalText.of(value)


def build_form(content: dict, version_id: int | None = None) -> FormSpec:
    fields = tuple(
        FieldSpec(key=f["key"], label=LocalText.of(f["label"]), type=f["type"],
                  required=f.get("required", False), min=f.get("min"), max=f.get("max"),
                  max_length=f.get("max_length"), pattern=f.get("pattern"),
                  options=tuple(Option(o["value"], LocalText.of(o["label"]))
                                for o in f.get("options", [])),
                  default=f.get("default"), help=_optional_text(f.get("help")),
                  section=_optional_text(f.get("section")), visible_if=f.get("visible_if"))
        for f in content["fields"])
    return FormSpec(content["id"], LocalText.of(content["title"]), content["customer_type"],
                    fields, version_id)

