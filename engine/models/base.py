"""The declarative base, stable constraint names and the column types every model shares."""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, DateTime, Dialect, MetaData, func
from sqlalchemy.orm import DeclarativeBase, mapped_column
from sqlalchemy.types import TypeDecorator

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL and let a later
# migration drop or alter a constraint by a name it can know in advance.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current instant, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware timestamp stored in UTC and always read back aware in UTC.

    SQLite keeps no offset, so each value is normalised to UTC before it is written; equal
    instants then compare (and collide in unique constraints) equal on both backends. Naive
    values are refused: their meaning would depend on the machine that wrote them.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"timestamp {value.isoformat()} has no time zone; make it aware")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def created_at_column():
    """A creation timestamp filled in by Python and, for set-based inserts, by the database."""
    return mapped_column(UTCDateTime(), default=utcnow, server_default=func.now())


def json_column(default=dict):
    """A JSON document column, ``{}`` (or ``default()``) when not given."""
    return mapped_column(JSON(), default=default)


def nullable_json_column():
    """A JSON column whose Python ``None`` is SQL NULL rather than the JSON text ``null``."""
    return mapped_column(JSON(none_as_null=True), nullable=True)


def check_in(column: str, values: tuple[str, ...]) -> str:
    """SQL for a CHECK that ``column`` holds one of ``values`` (identifiers, no quoting needed)."""
    listed = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({listed})"


class Base(DeclarativeBase):
    """Base class of every kamflow table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}
