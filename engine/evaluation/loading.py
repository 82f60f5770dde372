"""A ruleset version ready to evaluate: its spec, metric types and the profile fields it reads."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.definitions import store
from engine.definitions.catalog import Catalog
from engine.definitions.documents import Document
from engine.definitions.metric_checks import MetricTypes, field_type
from engine.definitions.ruleset_specs import FieldMetric, RulesetSpec, build_ruleset
from engine.errors import InvalidInput, NotFound
from engine.expr import ExprType
from engine.facts import CORE_ATTRIBUTES
from engine.models import Definition, DefinitionVersion

from .vector_expr import kind_of


@dataclass(frozen=True)
class ProfileField:
    """A field read from customers: a core attribute, or a profile field of some forms."""

    key: str
    kind: str                                   # vector kind of its values
    customer_types: frozenset[str] = frozenset()  # forms that have it (profile fields)

    @property
    def is_core(self) -> bool:
        return self.key in CORE_ATTRIBUTES


@dataclass(frozen=True)
class LoadedRuleset:
    """One stored version of a ruleset with everything evaluation derives from it."""

    spec: RulesetSpec
    version_id: int
    version_number: int
    published: bool
    metric_types: Mapping[str, ExprType]
    fields: Mapping[str, ProfileField]          # every field a metric or split_within reads
    form_versions: tuple[int, ...] = field(default=())

    @property
    def definition_versions(self) -> list[int]:
        """The stored versions this evaluation reads: the ruleset, then its forms."""
        return [self.version_id, *self.form_versions]


def load_ruleset(session: Session, ruleset_id: str, number: int | None = None) -> LoadedRuleset:
    """The published version of ``ruleset_id`` (or version ``number``), checked against the
    published forms."""
    definition = store.get_definition(session, "ruleset", ruleset_id)
    if number is None:
        version = store.published_version(session, definition)
        if version is None:
            raise NotFound("published ruleset", ruleset_id)
    else:
        version = store.get_version(session, definition, number)
    forms = _published_forms(session)
    return build_loaded(version, forms, definition.published_version_id == version.id)


def load_version(session: Session, version_id: int, form_version_ids=()) -> LoadedRuleset:
    """A ruleset version as a stored run used it (with the form versions it recorded)."""
    version = session.get(DefinitionVersion, version_id)
    if version is None:
        raise NotFound("ruleset version", version_id)
    rows = session.execute(select(DefinitionVersion).where(
        DefinitionVersion.id.in_(list(form_version_ids)))).scalars().all()
    forms = [(row.id, row.content) for row in rows if row.content.get("kind") == "form"]
    return build_loaded(version, forms, published=False)


def _published_forms(session: Session) -> list[tuple[int, dict]]:
    rows = session.execute(
        select(DefinitionVersion.id, DefinitionVersion.content)
        .join(Definition, Definition.published_version_id == DefinitionVersion.id)
        .where(Definition.kind == "form").order_by(Definition.def_id))
    return [(version_id, content) for version_id, content in rows]


def build_loaded(version: DefinitionVersion, forms: list[tuple[int, dict]],
                 published: bool) -> LoadedRuleset:
    """Types every metric as validation does; refuses a version the forms no longer fit."""
    content = version.content
    doc = Document("ruleset", f"rules/{content['id']}.yaml", content, "")
    form_docs = {form["id"]: (version_id, Document("form", f"forms/{form['id']}.yaml", form, ""))
                 for version_id, form in forms}
    catalog = Catalog.of([d for _, d in form_docs.values()])
    problems: list = []
    types = MetricTypes(doc, catalog, problems).resolve()
    if problems:
        raise InvalidInput(problems, subject=f"ruleset {content['id']} version {version.number}")
    spec = build_ruleset(content, version.id)
    in_scope = catalog.forms_for(spec.applies_to)
    used = [form_docs[d.def_id][0] for d in in_scope]
    return LoadedRuleset(spec, version.id, version.number, published, types,
                         _fields(spec, in_scope), tuple(used))


def _fields(spec: RulesetSpec, forms: list[Document]) -> dict[str, ProfileField]:
    wanted = [m.field for m in spec.metrics if isinstance(m, FieldMetric)]
    within = getattr(spec.classification, "split_within", None)
    if within:
        wanted.append(within)
    fields: dict[str, ProfileField] = {}
    for key in wanted:
        if key in CORE_ATTRIBUTES:
            fields[key] = ProfileField(key, "text")
            continue
        having = [(form, f) for form in forms for f in form.content.get("fields", [])
                  if f["key"] == key]
        if having:
            kind = kind_of(field_type(having[0][1]))
            types = frozenset(form.content["customer_type"] for form, _ in having)
            fields[key] = ProfileField(key, kind, types)
        else:
            fields[key] = ProfileField(key, "text")
    return fields
