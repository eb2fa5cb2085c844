"""The key service: personal data sealed under keys that belong to one scope.

- ``provider``: master keys (``MALL_MASTER_KEYS``) wrap data keys.
- ``store``: wrapped data keys in their own database (``MALL_KEYSTORE_URL``).
- ``service``: per-scope versioned data keys, a TTL cache, rotation, shredding.
- ``cipher``: AES-256-GCM in a versioned binary format bound to its place.
- ``fields``: ``EncryptedField`` attributes that read and write like ``str``.
- ``rotation``: re-encrypting a scope's rows; ``cli``: ``flask mall keys …``.
"""

from __future__ import annotations

from flask import Flask

from tenants.keys.errors import (
    CiphertextInvalid,
    DataKeyMissing,
    KeyDestroyed,
    KeyServiceError,
    KeyStoreUnavailable,
    MasterKeyError,
)
from tenants.keys.fields import (
    ERASED,
    UNREADABLE,
    EncryptedField,
    key_service,
    normalise_email,
    reveal,
)
from tenants.keys.provider import LocalKeyProvider
from tenants.keys.service import PLATFORM, KeyService, tenant_scope
from tenants.keys.store import KeyStore

__all__ = [
    "ERASED",
    "PLATFORM",
    "UNREADABLE",
    "CiphertextInvalid",
    "DataKeyMissing",
    "EncryptedField",
    "KeyDestroyed",
    "KeyService",
    "KeyServiceError",
    "KeyStoreUnavailable",
    "MasterKeyError",
    "init_app",
    "key_service",
    "normalise_email",
    "reveal",
    "tenant_scope",
]


def init_app(app: Flask) -> KeyService:
    """Build the app's key service from MALL_MASTER_KEYS and MALL_KEYSTORE_URL."""
    if not app.config.get("KEYSTORE_URL"):
        raise KeyStoreUnavailable("MALL_KEYSTORE_URL is not set: the key store has no address.")
    service = KeyService(
        LocalKeyProvider(app.config.get("MASTER_KEYS")),
        KeyStore(app.config["KEYSTORE_URL"]),
        key_ttl=app.config.get("KEY_CACHE_TTL", 300),
        primary_ttl=app.config.get("KEY_PRIMARY_TTL", 30),
        settle_seconds=app.config.get("KEY_ROTATION_SETTLE_SECONDS"),
    )
    app.extensions["mall.keys"] = service
    return service
