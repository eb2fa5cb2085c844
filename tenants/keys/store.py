"""The key store: wrapped data keys in their own database (``MALL_KEYSTORE_URL``).

The main database never holds key material, so a dump or backup of it reads
nothing without this store and the master keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from mall.db import UTCDateTime, utcnow
from tenants.keys.errors import KeyStoreUnavailable

ACTIVE, DECRYPT_ONLY, DESTROYED = "active", "decrypt-only", "destroyed"
ENCRYPTION, BLIND_INDEX = "encryption", "blind-index"

metadata = sa.MetaData()
data_keys = sa.Table(
    "data_keys",
    metadata,
    sa.Column("scope", sa.String(64), primary_key=True),
    sa.Column("purpose", sa.String(16), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("master_version", sa.Integer, nullable=False),
    sa.Column("wrapped", sa.LargeBinary, nullable=True),  # NULL once destroyed
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("changed_at", UTCDateTime(), nullable=False),
)


@dataclass(frozen=True)
class DataKeyRow:
    """One version of a scope's data key, as stored (still wrapped)."""

    scope: str
    purpose: str
    version: int
    master_version: int
    wrapped: bytes | None
    state: str
    created_at: datetime
    changed_at: datetime


class KeyStore:
    """Reads and writes wrapped data keys; every call is its own short transaction."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = sa.create_engine(url, pool_pre_ping=True, hide_parameters=True)
        self._ready = False

    def _connect(self) -> sa.Connection:
        try:
            connection = self.engine.connect()
            if not self._ready:
                metadata.create_all(connection)
                connection.commit()
                self._ready = True
            return connection
        except sa.exc.SQLAlchemyError as error:
            raise KeyStoreUnavailable(
                f"The key store at {self.engine.url.render_as_string(hide_password=True)} "
                f"cannot be used ({type(error).__name__}). Check MALL_KEYSTORE_URL."
            ) from error

    def versions(self, scope: str, purpose: str) -> list[DataKeyRow]:
        """Every version of the scope's key for ``purpose``, newest first."""
        with self._connect() as connection:
            rows = connection.execute(
                sa.select(data_keys)
                .where(data_keys.c.scope == scope, data_keys.c.purpose == purpose)
                .order_by(data_keys.c.version.desc())
            ).all()
        return [DataKeyRow(**row._mapping) for row in rows]

    def all_rows(self, scope: str | None = None) -> list[DataKeyRow]:
        """Every stored key (of one scope, or all), for status reports."""
        query = sa.select(data_keys).order_by(
            data_keys.c.scope, data_keys.c.purpose, data_keys.c.version
        )
        if scope is not None:
            query = query.where(data_keys.c.scope == scope)
        with self._connect() as connection:
            return [DataKeyRow(**row._mapping) for row in connection.execute(query)]

    def add(self, row: DataKeyRow) -> bool:
        """Insert a new version; False if another process made that version first."""
        with self._connect() as connection:
            try:
                connection.execute(data_keys.insert().values(**row.__dict__))
                connection.commit()
                return True
            except sa.exc.IntegrityError:
                connection.rollback()
                return False

    def set_state(self, scope: str, purpose: str, version: int, state: str) -> None:
        """Change a version's state; destroying also wipes the wrapped key."""
        values: dict = {"state": state, "changed_at": utcnow()}
        if state == DESTROYED:
            values["wrapped"] = None
        with self._connect() as connection:
            connection.execute(
                data_keys.update()
                .where(
                    data_keys.c.scope == scope,
                    data_keys.c.purpose == purpose,
                    data_keys.c.version == version,
                )
                .values(**values)
            )
            connection.commit()

    def destroy_scope(self, scope: str) -> int:
        """Destroy every key of a scope; returns how many versions were destroyed."""
        with self._connect() as connection:
            result = connection.execute(
                data_keys.update()
                .where(data_keys.c.scope == scope, data_keys.c.state != DESTROYED)
                .values(state=DESTROYED, wrapped=None, changed_at=utcnow())
            )
            connection.commit()
            return result.rowcount

    def rewrap(self, row: DataKeyRow, master_version: int, wrapped: bytes) -> None:
        """Store a data key re-wrapped under another master key version."""
        with self._connect() as connection:
            connection.execute(
                data_keys.update()
                .where(
                    data_keys.c.scope == row.scope,
                    data_keys.c.purpose == row.purpose,
                    data_keys.c.version == row.version,
                    data_keys.c.master_version == row.master_version,
                )
                .values(master_version=master_version, wrapped=wrapped, changed_at=utcnow())
            )
            connection.commit()

    def dispose(self) -> None:
        self.engine.dispose()
