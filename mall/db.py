"""Database core: the declarative base, app-made UUIDv7 ids, UTC timestamps.

Constraint names follow one convention so that Alembic's autogenerate and
hand-written migrations name things the same way on SQLite and PostgreSQL.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from uuid import UUID

import sqlalchemy as sa
import sqlalchemy.orm
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry
from sqlalchemy.types import TypeDecorator
from uuid6 import uuid7 as _uuid7

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_id() -> UUID:
    """A UUIDv7: time-ordered, unguessable, made in the app before INSERT."""
    return UUID(bytes=_uuid7().bytes)


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite has no time zones, so values are normalised to UTC on the way in
    and tagged UTC on the way out; PostgreSQL uses ``timestamptz``.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are refused: use mall.db.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@sa.event.listens_for(sa.Engine, "connect")
def _sqlite_manual_transactions(dbapi_connection: object, connection_record: object) -> None:
    """Let SQLAlchemy, not pysqlite, begin SQLite transactions (SAVEPOINTs work then)."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA foreign_keys = ON")


@sa.event.listens_for(sa.Engine, "begin")
def _sqlite_begin(connection: sa.Connection) -> None:
    # IMMEDIATE takes SQLite's write lock at the start, waiting (pysqlite's timeout) for
    # another writer to finish. A plain (deferred) BEGIN that read first and writes later
    # fails at once with "database is locked" when another request is writing: a double
    # click on "Place order" was a 500. One writer at a time is SQLite's way anyway.
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def str_enum(enum: type, length: int = 16) -> sa.Enum:
    """A column type for a ``StrEnum``: stores the values (``"active"``) as checked text."""
    return sa.Enum(
        enum,
        native_enum=False,
        length=length,
        validate_strings=True,
        values_callable=lambda members: [m.value for m in members],
    )


class Base(DeclarativeBase):
    """The declarative base of every Mall model."""

    # One registry carries both, so Flask-SQLAlchemy's subclass of this base keeps them.
    registry = registry(
        metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


class Timestamped:
    """``created_at`` and ``updated_at`` in UTC, set by the app."""

    created_at: Mapped[datetime] = mapped_column(default=utcnow, sort_order=100)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, sort_order=101)


class PlatformModel:
    """A platform table (not owned by one shop): a plain UUIDv7 primary key."""

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id, sort_order=-100)


def escape_like(text: str) -> str:
    """Escape ``%``, ``_`` and ``\\`` for a LIKE pattern (used with ``escape="\\"``)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


QUERY_CANCELLED = "57014"  # PostgreSQL's SQLSTATE for a statement stopped by its timeout


@contextmanager
def statement_timeout(session: sa.orm.Session, milliseconds: int) -> Iterator[None]:
    """Let each statement inside run at most ``milliseconds`` (PostgreSQL; SQLite: no limit).

    Local to the transaction; put back when the block ends normally. Run it in a
    savepoint: a cancelled statement fails the block, and the savepoint's rollback
    puts the setting back with everything else.
    """
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    previous = session.execute(
        sa.text(
            "SELECT current_setting('statement_timeout'), "
            "set_config('statement_timeout', :limit, true)"
        ),
        {"limit": str(int(milliseconds))},
    ).scalar_one()
    yield
    session.execute(
        sa.text("SELECT set_config('statement_timeout', :limit, true)"), {"limit": previous}
    )


def is_query_cancelled(error: sa.exc.DBAPIError) -> bool:
    """True when the database stopped the statement (``statement_timeout``)."""
    return getattr(error.orig, "sqlstate", None) == QUERY_CANCELLED
