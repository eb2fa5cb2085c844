"""Passwords: bcrypt, with the cost from config (low in tests)."""

from __future__ import annotations

import bcrypt
from flask import current_app

MIN_LENGTH = 10
MAX_BYTES = 72  # bcrypt reads no further; longer passwords are refused, not cut


class WeakPassword(ValueError):
    """The password does not meet the rules; the message says which."""


def check_policy(password: str) -> None:
    """Raise WeakPassword unless the password is acceptable."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"Use at least {MIN_LENGTH} characters.")
    if len(password.encode()) > MAX_BYTES:
        raise WeakPassword(f"Use at most {MAX_BYTES} bytes (about {MAX_BYTES} letters).")
    if password.strip() == "" or len(set(password)) < 4:
        raise WeakPassword("Use a less repetitive password.")


def hash_password(password: str) -> str:
    """A bcrypt hash of ``password`` at the configured cost."""
    rounds = int(current_app.config.get("BCRYPT_ROUNDS", 12))
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds)).decode()


def verify_password(password: str, hashed: str | None) -> bool:
    """True when ``password`` matches; never raises for odd input."""
    if not hashed or len(password.encode()) > MAX_BYTES:
        return False
    try:
        return bcrypt.checkpw(password.encode(), hashed.encode())
    except ValueError:
        return False


_DUMMY_HASH: dict[int, str] = {}


def burn_time(password: str) -> None:
    """Spend as long as a real check, so unknown emails cannot be told apart by timing."""
    rounds = int(current_app.config.get("BCRYPT_ROUNDS", 12))
    if rounds not in _DUMMY_HASH:
        _DUMMY_HASH[rounds] = bcrypt.hashpw(b"not a password", bcrypt.gensalt(rounds)).decode()
    verify_password(password, _DUMMY_HASH[rounds])
