"""Master keys (KEKs) and the providers that wrap data keys with them.

``KeyProvider`` keeps the door open for Vault or a cloud KMS; the local
provider reads versioned keys from ``MALL_MASTER_KEYS`` (``"2:<b64>,1:<b64>"``,
newest and primary first) and wraps with AES-256-GCM.
"""

from __future__ import annotations

import base64
import binascii
import os
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tenants.keys.errors import MasterKeyError

HOW_TO_MAKE_ONE = (
    'Make one with: python -c "import base64, secrets; '
    "print('1:' + base64.b64encode(secrets.token_bytes(32)).decode())\""
)


class KeyProvider(Protocol):
    """Wraps and unwraps data keys under versioned master keys."""

    @property
    def primary_version(self) -> int: ...

    def wrap(self, key: bytes, *, label: bytes) -> tuple[int, bytes]:
        """Wrap ``key`` under the primary master key; returns (master version, wrapped)."""
        ...

    def unwrap(self, version: int, wrapped: bytes, *, label: bytes) -> bytes:
        """Unwrap a data key wrapped under master key ``version``."""
        ...


class LocalKeyProvider:
    """Master keys from the environment; AES-256-GCM key wrapping."""

    def __init__(self, master_keys: str | None) -> None:
        self._keys = parse_master_keys(master_keys)
        self._primary = next(iter(self._keys))

    @property
    def primary_version(self) -> int:
        return self._primary

    @property
    def versions(self) -> list[int]:
        return list(self._keys)

    def wrap(self, key: bytes, *, label: bytes) -> tuple[int, bytes]:
        nonce = os.urandom(12)
        return self._primary, nonce + AESGCM(self._keys[self._primary]).encrypt(nonce, key, label)

    def unwrap(self, version: int, wrapped: bytes, *, label: bytes) -> bytes:
        if version not in self._keys:
            raise MasterKeyError(
                f"A data key is wrapped under master key version {version}, which "
                "MALL_MASTER_KEYS does not hold. Add that version back to MALL_MASTER_KEYS "
                "(after the primary), then run `flask --app wsgi mall keys rotate-master`."
            )
        try:
            return AESGCM(self._keys[version]).decrypt(wrapped[:12], wrapped[12:], label)
        except InvalidTag:
            raise MasterKeyError(
                f"Master key version {version} in MALL_MASTER_KEYS cannot unwrap the data keys "
                "in the key store: it is not the key they were wrapped with. Restore the "
                "original MALL_MASTER_KEYS (or the matching key store)."
            ) from None


def parse_master_keys(value: str | None) -> dict[int, bytes]:
    """``"2:<b64>,1:<b64>"`` -> {2: key, 1: key}, in the given order (first is primary)."""
    if not value or not value.strip():
        raise MasterKeyError(f"MALL_MASTER_KEYS is not set. {HOW_TO_MAKE_ONE}")
    keys: dict[int, bytes] = {}
    for part in value.split(","):
        version_text, sep, encoded = part.strip().partition(":")
        try:
            version = int(version_text)
            key = base64.b64decode(encoded, validate=True)
        except (ValueError, binascii.Error):
            version, key = -1, b""
        if not sep or version < 1 or len(key) != 32 or version in keys:
            raise MasterKeyError(
                "MALL_MASTER_KEYS must be comma-separated '<version>:<base64 of 32 bytes>' "
                f"entries with distinct positive versions, newest first. {HOW_TO_MAKE_ONE}"
            )
        keys[version] = key
    return keys
