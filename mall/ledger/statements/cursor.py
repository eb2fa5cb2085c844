"""The statement's page cursor: an opaque token meaning "the entries older than this one".

Ledger entries are numbered mall-wide (``entry_seq``), so a shop's own entry
numbers skip every other shop's entries: shown in a link (``?before=22``) they
would tell a shop how busy the others are. The pager keeps its keyset on
``entry_seq`` (the index ``ix_ledger_lines_shop_id_entry_seq``), but the number
travels sealed with AES-GCM: a key derived from the app's ``SECRET_KEY``, a
fresh nonce per token (two links to the same page differ, so tokens cannot be
compared or ordered) and the shop's id as associated data (a token made for one
shop opens in no other). A token that does not open is a ``LedgerError``.
"""

from __future__ import annotations

import base64
import binascii
import os
import struct
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

from mall.ledger.errors import LedgerError

PURPOSE = b"mall.ledger.statement-cursor"
NONCE_BYTES = 12
SEQ = struct.Struct(">Q")  # an entry number: 8 bytes, big-endian
TAG_BYTES = 16
TOKEN_BYTES = NONCE_BYTES + SEQ.size + TAG_BYTES
MAX_TOKEN_CHARS = 64  # 36 bytes are 48 characters of base64; longer is not ours
BAD_CURSOR = "That statement page does not exist: start again from the newest."


def _aead() -> AESGCM:
    secret = current_app.config["SECRET_KEY"]
    material = secret.encode() if isinstance(secret, str) else bytes(secret)
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=PURPOSE).derive(material)
    return AESGCM(key)


def page_cursor(shop_id: UUID, seq: int) -> str:
    """The token for the page of ``shop_id``'s entries older than entry ``seq``."""
    nonce = os.urandom(NONCE_BYTES)
    sealed = _aead().encrypt(nonce, SEQ.pack(seq), shop_id.bytes)
    return base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode("ascii")


def cursor_seq(shop_id: UUID, token: str) -> int:
    """The entry number inside ``token`` (LedgerError: not a token made for this shop)."""
    if not token or len(token) > MAX_TOKEN_CHARS or not token.isascii():
        raise LedgerError(BAD_CURSOR)
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raise LedgerError(BAD_CURSOR) from None
    if len(raw) != TOKEN_BYTES:
        raise LedgerError(BAD_CURSOR)
    try:
        plain = _aead().decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], shop_id.bytes)
    except InvalidTag:
        raise LedgerError(BAD_CURSOR) from None
    (seq,) = SEQ.unpack(plain)
    return seq
