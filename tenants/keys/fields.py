"""Encrypted model attributes that read and write like plain strings.

    class User(PlatformModel, db.Model):
        email_ct: Mapped[bytes | None] = mapped_column("email", sa.LargeBinary)
        email_index: Mapped[bytes | None] = mapped_column(sa.LargeBinary(32), unique=True)
        email = EncryptedField("email_ct", index="email_index", normalise=normalise_email)

``user.email = "Ada@Example.com"`` seals the value under the row's scope (its
shop for ``TenantScoped`` rows, else the platform) and fills the blind index;
``user.email`` opens it again (every read opens the ciphertext).

Reading a value in code raises when it cannot be opened (``KeyDestroyed``,
``CiphertextInvalid``): code that acts on a value never acts on garbage. Pages
degrade instead: ``reveal()`` and the templates (``templating.py``) show
``"[erased]"`` for shredded values and ``"[unreadable]"`` for altered or moved
ones, the latter logged once per table, column and row (never the value).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cachetools import LRUCache
from flask import current_app

from mall.db import new_id
from tenants.context import TenantContextRequired, current_tenant_id
from tenants.keys.cipher import FieldContext
from tenants.keys.errors import CiphertextInvalid, KeyDestroyed
from tenants.keys.service import PLATFORM, KeyService, tenant_scope
from tenants.scoping import TenantScoped

ERASED = "[erased]"
UNREADABLE = "[unreadable]"

log = logging.getLogger(__name__)
_reported: LRUCache = LRUCache(maxsize=10_000)  # places already logged by this process
_reported_lock = threading.Lock()


@dataclass(frozen=True)
class FieldSpec:
    """One encrypted field of a model: where its ciphertext and index live."""

    model: type
    name: str
    attribute: str
    column: str
    index_attribute: str | None


_descriptors: list[EncryptedField] = []


def encrypted_fields() -> list[FieldSpec]:
    """Every encrypted field of every mapped model (for rotation and status)."""
    return [d.spec() for d in _descriptors if hasattr(d.owner, "__mapper__")]


def key_service() -> KeyService:
    """The app's key service."""
    return current_app.extensions["mall.keys"]


def scope_of(row: Any) -> str:
    """The key scope a row's personal data is sealed under."""
    explicit = getattr(type(row), "key_scope", None)
    if explicit is not None:
        return row.key_scope
    if isinstance(row, TenantScoped):
        if row.tenant_id is None:
            tenant_id = current_tenant_id()
            if tenant_id is None:
                raise TenantContextRequired("personal data of a shop written outside its context")
            row.tenant_id = tenant_id
        return tenant_scope(row.tenant_id)
    return PLATFORM


def normalise_email(value: str) -> str:
    """Emails compare case-insensitively and without surrounding spaces."""
    return value.strip().lower()


class EncryptedField:
    """A descriptor over a ``LargeBinary`` column holding a sealed string."""

    def __init__(
        self,
        attribute: str,
        *,
        index: str | None = None,
        normalise: Callable[[str], str] | None = None,
    ) -> None:
        self.attribute = attribute
        self.index_attribute = index
        self.normalise = normalise or (lambda value: value)

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.owner = owner
        _descriptors.append(self)

    def spec(self) -> FieldSpec:
        column = self.owner.__mapper__.columns[self.attribute].name
        return FieldSpec(self.owner, self.name, self.attribute, column, self.index_attribute)

    def context(self, row: Any) -> FieldContext:
        if row.id is None:
            row.id = new_id()  # the row id is sealed into the ciphertext, so make it now
        column = type(row).__mapper__.columns[self.attribute].name
        return FieldContext(scope_of(row), type(row).__table__.name, column, str(row.id))

    def __get__(self, row: Any, owner: type | None = None) -> Any:
        if row is None:
            return self
        sealed = getattr(row, self.attribute)
        if sealed is None:
            return None
        context = self.context(row)
        # No plaintext cache: opening costs about a microsecond, and a cache would
        # outlive a shredded key.
        try:
            return key_service().decrypt(bytes(sealed), context)
        except CiphertextInvalid as error:
            error.place = f"{context.table}.{context.column} of row {context.row_id}"
            raise

    def __set__(self, row: Any, value: str | None) -> None:
        if value is None:
            setattr(row, self.attribute, None)
            if self.index_attribute:
                setattr(row, self.index_attribute, None)
            return
        value = str(value)
        context = self.context(row)
        sealed = key_service().encrypt(value, context)
        setattr(row, self.attribute, sealed)
        if self.index_attribute:
            index = key_service().blind_index(
                self.normalise(value), scope=context.scope, field=self._index_field()
            )
            setattr(row, self.index_attribute, index)

    def _index_field(self) -> str:
        return f"{self.owner.__table__.name}.{self.name}"

    def lookup(self, value: str, *, scope: str = PLATFORM) -> bytes:
        """The blind index to compare against when searching this field for ``value``."""
        return key_service().blind_index(
            self.normalise(value), scope=scope, field=self._index_field()
        )


def reveal(row: Any, name: str) -> str | None:
    """Read an encrypted field for display.

    ``"[erased]"`` when its keys were shredded, ``"[unreadable]"`` when the
    ciphertext was altered or moved from another row (logged once). Code that
    acts on the value (sends an email…) reads the attribute itself, and fails.
    """
    try:
        return getattr(row, name)
    except KeyDestroyed:
        return ERASED
    except CiphertextInvalid as error:
        return unreadable(error)


def unreadable(error: CiphertextInvalid) -> str:
    """Log an unreadable value once per place (table, column, row id), and return its stand-in."""
    place = error.place or "an encrypted value"
    with _reported_lock:
        first = place not in _reported
        _reported[place] = True
    if first:
        log.error(
            "cannot open %s: altered, or copied from another row, column or shop; pages show "
            "%s until it is restored from a backup or written again",
            place,
            UNREADABLE,
        )
    return UNREADABLE
