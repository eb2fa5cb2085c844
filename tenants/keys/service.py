"""The key service: per-scope, versioned data keys, cached, rotated and shredded.

Scopes are ``"platform"`` (accounts, affiliates) and ``"tenant:<uuid>"`` (one
shop). Each scope has an encryption key and a blind-index key, created on
first use, wrapped by the primary master key and kept in the key store.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
from uuid import UUID

from cachetools import TTLCache
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from mall.db import utcnow
from tenants.keys import cipher
from tenants.keys.errors import CiphertextInvalid, DataKeyMissing, KeyDestroyed, KeyServiceError
from tenants.keys.provider import KeyProvider
from tenants.keys.store import (
    ACTIVE,
    BLIND_INDEX,
    DECRYPT_ONLY,
    DESTROYED,
    ENCRYPTION,
    DataKeyRow,
    KeyStore,
)

PLATFORM = "platform"


def tenant_scope(tenant_id: UUID | str) -> str:
    """The key scope of one shop."""
    return f"tenant:{tenant_id}"


class KeyService:
    """Encrypts, decrypts and indexes fields with the data keys of a scope."""

    def __init__(
        self,
        provider: KeyProvider,
        store: KeyStore,
        *,
        key_ttl: float = 300,
        primary_ttl: float = 30,
        settle_seconds: float | None = None,
        cache_size: int = 4096,
    ) -> None:
        self.provider = provider
        self.store = store
        self.primary_ttl = primary_ttl
        # How long a rotation waits for other processes to notice the new primary.
        self.settle_seconds = primary_ttl if settle_seconds is None else settle_seconds
        self._lock = threading.RLock()
        # Unwrapped keys stay in memory for key_ttl; which version is primary is
        # re-read after primary_ttl, so other processes see a rotation quickly.
        self._keys: TTLCache = TTLCache(maxsize=cache_size, ttl=key_ttl)
        self._primary: TTLCache = TTLCache(maxsize=cache_size, ttl=max(primary_ttl, 0.001))

    # ------------------------------------------------------------ fields

    def encrypt(self, plaintext: str, context: cipher.FieldContext) -> bytes:
        """Seal ``plaintext`` under the scope's primary encryption key."""
        version, key = self._primary_key(context.scope, ENCRYPTION)
        return cipher.seal(key, version, plaintext, context)

    def decrypt(self, ciphertext: bytes, context: cipher.FieldContext) -> str:
        """Open a ciphertext; raises KeyDestroyed, DataKeyMissing or CiphertextInvalid."""
        version = cipher.dek_version_of(ciphertext)
        return cipher.open_sealed(
            self._key(context.scope, ENCRYPTION, version), ciphertext, context
        )

    def encrypt_bytes(self, data: bytes, context: cipher.FieldContext) -> bytes:
        """Seal raw bytes (a stored file) under the scope's primary encryption key."""
        version, key = self._primary_key(context.scope, ENCRYPTION)
        return cipher.seal_bytes(key, version, data, context)

    def decrypt_bytes(self, ciphertext: bytes, context: cipher.FieldContext) -> bytes:
        """Open what ``encrypt_bytes`` sealed; raises like ``decrypt``."""
        version = cipher.dek_version_of(ciphertext)
        return cipher.open_sealed_bytes(
            self._key(context.scope, ENCRYPTION, version), ciphertext, context
        )

    def blind_index(self, normalised: str, *, scope: str, field: str) -> bytes:
        """HMAC-SHA256 of a normalised value under the scope's index key (for look-ups)."""
        _, key = self._primary_key(scope, BLIND_INDEX)
        return hmac.new(key, f"{field}\x00{normalised}".encode(), hashlib.sha256).digest()

    def primary_version(self, scope: str) -> int:
        """The version new values of ``scope`` are encrypted with."""
        return self._primary_key(scope, ENCRYPTION)[0]

    # ------------------------------------------------------------ lifecycle

    def start_rotation(self, scope: str) -> tuple[int, list[int]]:
        """Make a new encryption key version primary (or resume an unfinished rotation).

        Returns (new primary version, versions still to re-encrypt away from).
        """
        with self._lock:
            rows = self.store.versions(scope, ENCRYPTION)
            self._refuse_destroyed(scope, rows)
            pending = [r.version for r in rows if r.state == DECRYPT_ONLY]
            active = [r for r in rows if r.state == ACTIVE]
            if pending and active:
                return active[0].version, pending
            if not active:
                version = self._create(scope, ENCRYPTION, rows)
                return version, []
            new_version = self._create(scope, ENCRYPTION, rows)
            for row in active:
                self.store.set_state(scope, ENCRYPTION, row.version, DECRYPT_ONLY)
            self.clear_cache(scope)
            return new_version, [row.version for row in active]

    def retire(self, scope: str, version: int) -> None:
        """Destroy an old encryption key version once no row uses it."""
        with self._lock:
            self.store.set_state(scope, ENCRYPTION, version, DESTROYED)
            self.clear_cache(scope)

    def shred(self, scope: str) -> int:
        """Destroy every key of ``scope``: its data becomes unreadable at once."""
        if scope == PLATFORM:
            raise KeyServiceError("the platform scope is never shredded")
        with self._lock:
            destroyed = self.store.destroy_scope(scope)
            self.clear_cache(scope)
            return destroyed

    def rotate_master(self) -> int:
        """Re-wrap every live data key under the primary master key; returns how many."""
        primary = self.provider.primary_version
        rewrapped = 0
        for row in self.store.all_rows():
            if row.state == DESTROYED or row.master_version == primary or row.wrapped is None:
                continue
            label = _label(row.scope, row.purpose, row.version)
            key = self.provider.unwrap(row.master_version, row.wrapped, label=label)
            master_version, wrapped = self.provider.wrap(key, label=label)
            self.store.rewrap(row, master_version, wrapped)
            rewrapped += 1
        self.clear_cache()
        return rewrapped

    def clear_cache(self, scope: str | None = None) -> None:
        """Forget unwrapped keys (of one scope, or all) in this process."""
        with self._lock:
            for cache in (self._keys, self._primary):
                for cache_key in list(cache):
                    if scope is None or cache_key[0] == scope:
                        cache.pop(cache_key, None)

    # ------------------------------------------------------------ internals

    def _primary_key(self, scope: str, purpose: str) -> tuple[int, object]:
        with self._lock:
            version = self._primary.get((scope, purpose))
            if version is None:
                rows = self.store.versions(scope, purpose)
                self._refuse_destroyed(scope, rows)
                active = [r for r in rows if r.state == ACTIVE]
                version = active[0].version if active else self._create(scope, purpose, rows)
                self._primary[(scope, purpose)] = version
            return version, self._key(scope, purpose, version)

    def _key(self, scope: str, purpose: str, version: int) -> object:
        with self._lock:
            cached = self._keys.get((scope, purpose, version))
            if cached is not None:
                return cached
            rows = {r.version: r for r in self.store.versions(scope, purpose)}
            row = rows.get(version)
            if row is None:
                self._refuse_destroyed(scope, list(rows.values()))
                if version < 1 or (rows and version < max(rows)):
                    raise CiphertextInvalid(
                        f"A ciphertext of scope {scope} names data key version {version}, which "
                        "never existed: the value was altered."
                    )
                raise DataKeyMissing(
                    f"The key store has no {purpose} key version {version} for scope {scope}: "
                    "it is not the key store this database was written with, or it was lost. "
                    "Point MALL_KEYSTORE_URL at the right key store."
                )
            if row.state == DESTROYED or row.wrapped is None:
                raise KeyDestroyed(f"The keys of scope {scope} were destroyed; the data is erased.")
            raw = self.provider.unwrap(
                row.master_version, row.wrapped, label=_label(scope, purpose, version)
            )
            key = AESGCM(raw) if purpose == ENCRYPTION else raw
            self._keys[(scope, purpose, version)] = key
            return key

    def _create(self, scope: str, purpose: str, rows: list[DataKeyRow]) -> int:
        version = (rows[0].version if rows else 0) + 1
        master_version, wrapped = self.provider.wrap(
            os.urandom(32), label=_label(scope, purpose, version)
        )
        now = utcnow()
        created = self.store.add(
            DataKeyRow(scope, purpose, version, master_version, wrapped, ACTIVE, now, now)
        )
        if not created:  # another process made it first: use theirs
            rows = self.store.versions(scope, purpose)
            return next(r.version for r in rows if r.state == ACTIVE)
        return version

    @staticmethod
    def _refuse_destroyed(scope: str, rows: list[DataKeyRow]) -> None:
        if rows and all(r.state == DESTROYED for r in rows):
            raise KeyDestroyed(f"The keys of scope {scope} were destroyed; the data is erased.")


def _label(scope: str, purpose: str, version: int) -> bytes:
    """Associated data for wrapping: a wrapped key cannot be swapped to another slot."""
    return f"{scope}\x00{purpose}\x00{version}".encode()
