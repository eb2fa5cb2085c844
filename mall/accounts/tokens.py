"""Signed, expiring links for email verification and password resets."""

from __future__ import annotations

import hashlib
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

VERIFY_SALT = "mall.accounts.verify-email"
RESET_SALT = "mall.accounts.reset-password"
VERIFY_MAX_AGE = 3 * 24 * 3600
RESET_MAX_AGE = 2 * 3600


class TokenInvalid(ValueError):
    """A link that is broken, expired or already used."""


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def fingerprint(*parts: bytes | str | None) -> str:
    """A short digest of state a token must still match (so it works once)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part if isinstance(part, bytes) else (part or "").encode())
        digest.update(b"\x00")
    return digest.hexdigest()[:24]


def make_token(salt: str, payload: dict[str, Any]) -> str:
    """Sign ``payload`` (ids and fingerprints only: tokens appear in URLs)."""
    return _serializer(salt).dumps(payload)


def read_token(salt: str, token: str, max_age: int) -> dict[str, Any]:
    """The payload of a valid token, or TokenInvalid saying why."""
    try:
        payload = _serializer(salt).loads(token, max_age=max_age)
    except SignatureExpired:
        raise TokenInvalid("This link has expired. Please ask for a new one.") from None
    except BadSignature:
        raise TokenInvalid("This link is not valid. Please ask for a new one.") from None
    if not isinstance(payload, dict):
        raise TokenInvalid("This link is not valid. Please ask for a new one.")
    return payload
