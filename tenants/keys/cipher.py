"""The field cipher: AES-256-GCM with a random 96-bit nonce, in a versioned binary format.

``0x01 | alg | dek_version (u32, big-endian) | nonce (12) | ciphertext + tag (16)``

The associated data binds the header, the scope, the table, the column and
the row id, so a value copied to another row, column or shop fails to open.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tenants.keys.errors import CiphertextInvalid

FORMAT_VERSION = 0x01
ALG_AES_256_GCM = 0x01
HEADER = struct.Struct(">BBI")
NONCE_SIZE = 12
TAG_SIZE = 16
# The bytes that hold the data key version, 1-based as SQL's substr counts them.
VERSION_OFFSET, VERSION_LENGTH = 3, 4


@dataclass(frozen=True)
class FieldContext:
    """Where a value lives: bound into the ciphertext as associated data."""

    scope: str
    table: str
    column: str
    row_id: str

    def associated_data(self, header: bytes) -> bytes:
        return b"\x00".join(
            [
                header,
                *(part.encode() for part in (self.scope, self.table, self.column, self.row_id)),
            ]
        )


def seal(aead: AESGCM, dek_version: int, plaintext: str, context: FieldContext) -> bytes:
    """Encrypt ``plaintext`` for ``context`` under data key version ``dek_version``."""
    return seal_bytes(aead, dek_version, plaintext.encode(), context)


def seal_bytes(aead: AESGCM, dek_version: int, data: bytes, context: FieldContext) -> bytes:
    """Encrypt raw ``data`` (a file) for ``context``, in the same format as a field."""
    header = HEADER.pack(FORMAT_VERSION, ALG_AES_256_GCM, dek_version)
    nonce = os.urandom(NONCE_SIZE)
    sealed = aead.encrypt(nonce, data, context.associated_data(header))
    return header + nonce + sealed


def dek_version_of(ciphertext: bytes) -> int:
    """The data key version a ciphertext was sealed with."""
    if len(ciphertext) < HEADER.size + NONCE_SIZE + TAG_SIZE:
        raise CiphertextInvalid("A ciphertext is truncated: it is shorter than its header.")
    fmt, alg, version = HEADER.unpack_from(ciphertext)
    if fmt != FORMAT_VERSION or alg != ALG_AES_256_GCM:
        raise CiphertextInvalid(
            f"A ciphertext has an unknown format ({fmt}/{alg}); it was not written by Mall "
            "or was altered."
        )
    return version


def open_sealed(aead: AESGCM, ciphertext: bytes, context: FieldContext) -> str:
    """Decrypt a ciphertext sealed for ``context``."""
    return open_sealed_bytes(aead, ciphertext, context).decode()


def open_sealed_bytes(aead: AESGCM, ciphertext: bytes, context: FieldContext) -> bytes:
    """Decrypt a ciphertext sealed for ``context`` into its raw bytes."""
    header = ciphertext[: HEADER.size]
    nonce = ciphertext[HEADER.size : HEADER.size + NONCE_SIZE]
    try:
        plain = aead.decrypt(
            nonce, ciphertext[HEADER.size + NONCE_SIZE :], context.associated_data(header)
        )
    except InvalidTag:
        raise CiphertextInvalid(
            f"The ciphertext in {context.table}.{context.column} of row {context.row_id} failed "
            "authentication: it was altered, or moved from another row, column or shop. "
            "Restore it from a backup."
        ) from None
    return plain
