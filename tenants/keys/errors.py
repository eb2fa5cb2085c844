"""Key service errors: each says what went wrong and what to do, never a silent wrong value."""

from __future__ import annotations


class KeyServiceError(RuntimeError):
    """Base class of every key service failure."""


class MasterKeyError(KeyServiceError):
    """``MALL_MASTER_KEYS`` is missing, malformed, or not the one the key store was made with."""


class KeyStoreUnavailable(KeyServiceError):
    """The key store database cannot be reached or read."""


class DataKeyMissing(KeyServiceError):
    """A ciphertext names a data key the key store does not have (wrong or lost key store)."""


class KeyDestroyed(KeyServiceError):
    """The scope's data keys were destroyed (crypto-shredded): the value is gone for good."""


class CiphertextInvalid(KeyServiceError):
    """A ciphertext failed authentication: altered, truncated, or moved from another place.

    ``place`` names where it was read (``"users.name of row <id>"``) when an
    encrypted field read it; it never holds the value.
    """

    place: str | None = None
