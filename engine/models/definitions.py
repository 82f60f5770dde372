"""Packs and definitions: documents stored as immutable versions, one of them published."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship

from ..errors import Conflict
from .base import Base, UTCDateTime, check_in, created_at_column, nullable_json_column, utcnow

DEFINITION_KINDS = ("form", "ruleset", "workflow")
SOURCE_FORMATS = ("yaml", "json")


class DefinitionVersionImmutable(Conflict):
    """A stored definition version was about to be changed; versions are written once."""

    def __init__(self, version: DefinitionVersion):
        super().__init__(
            f"definition version {version.id} (number {version.number}) is immutable; "
            "store a new version instead"
        )


class Pack(Base):
    """A definition pack as last imported; ``id`` is the pack's own id from ``pack.yaml``."""

    __tablename__ = "packs"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    version: Mapped[str] = mapped_column(String(50))
    title: Mapped[Any] = mapped_column(JSON)
    description: Mapped[Any | None] = nullable_json_column()
    source: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    imported_by: Mapped[str | None] = mapped_column(String(100))

    definitions: Mapped[list[Definition]] = relationship(back_populates="pack")

    def __repr__(self) -> str:
        return f"<Pack {self.id} {self.version}>"


class Definition(Base):
    """A form, ruleset or workflow by id: its version history and which version is published."""

    __tablename__ = "definitions"
    __table_args__ = (
        UniqueConstraint("kind", "def_id"),
        CheckConstraint(check_in("kind", DEFINITION_KINDS), name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    def_id: Mapped[str] = mapped_column(String(100))
    pack_id: Mapped[str] = mapped_column(ForeignKey("packs.id"), index=True)
    # definitions → definition_versions → definitions is a cycle: this side is added by ALTER
    # after both tables exist, and written by a second UPDATE after the version row is in.
    published_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("definition_versions.id", use_alter=True)
    )
    created_at: Mapped[dt.datetime] = created_at_column()

    pack: Mapped[Pack] = relationship(back_populates="definitions")
    versions: Mapped[list[DefinitionVersion]] = relationship(
        back_populates="definition",
        foreign_keys="DefinitionVersion.definition_id",
        order_by="DefinitionVersion.number",
    )
    published_version: Mapped[DefinitionVersion | None] = relationship(
        foreign_keys=[published_version_id], post_update=True
    )

    def __repr__(self) -> str:
        return f"<Definition {self.kind} {self.def_id}>"


class DefinitionVersion(Base):
    """One immutable version of a definition: the parsed document and the text it came from."""

    __tablename__ = "definition_versions"
    __table_args__ = (
        UniqueConstraint("definition_id", "number"),
        CheckConstraint(check_in("source_format", SOURCE_FORMATS), name="source_format"),
        CheckConstraint("number >= 1", name="number_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("definitions.id"))
    number: Mapped[int]
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(Text)
    source_format: Mapped[str] = mapped_column(String(10))
    format_version: Mapped[int] = mapped_column(default=1, server_default="1")
    author: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = created_at_column()
    note: Mapped[str | None] = mapped_column(String(500))

    definition: Mapped[Definition] = relationship(
        back_populates="versions", foreign_keys=[definition_id]
    )

    def __repr__(self) -> str:
        return f"<DefinitionVersion {self.definition_id} #{self.number}>"


@event.listens_for(DefinitionVersion, "before_update")
def _refuse_version_update(_mapper, _connection, version: DefinitionVersion) -> None:
    """Stored runs name the versions they used, so a version must never change under them."""
    session = object_session(version)
    if session is None or session.is_modified(version, include_collections=False):
        raise DefinitionVersionImmutable(version)
