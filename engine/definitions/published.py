"""Published definitions as immutable spec objects, each tagged with its stored version."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.definitions import store
from engine.definitions.ruleset_specs import build_ruleset
from engine.definitions.specs import build_form
from engine.definitions.workflow_specs import build_workflow
from engine.errors import NotFound
from engine.models import Definition, DefinitionVersion

BUILDERS = {"form": build_form, "ruleset": build_ruleset, "workflow": build_workflow}


def build_spec(kind: str, content: dict, version_id: int | None = None):
    """The immutable spec object for validated ``content`` of ``kind``."""
    return BUILDERS[kind](content, version_id)


def published_spec(session: Session, kind: str, def_id: str):
    """The published version of one definition as a spec object."""
    definition = store.get_definition(session, kind, def_id)
    version = store.published_version(session, definition)
    if version is None:
        raise NotFound(f"published {kind}", def_id)
    return build_spec(kind, version.content, version.id)


def published_specs(session: Session, kind: str) -> list:
    """Every published definition of ``kind`` as spec objects, by id."""
    rows = session.execute(
        select(Definition.def_id, DefinitionVersion)
        .join(DefinitionVersion, Definition.published_version_id == DefinitionVersion.id)
        .where(Definition.kind == kind).order_by(Definition.def_id))
    return [build_spec(kind, version.content, version.id) for _, version in rows]
