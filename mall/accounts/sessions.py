"""Device sessions: each sign-in is one row, so signing out ends it on the server.

The session and remember cookies hold ``<user id>.<token>`` (``User.get_id``), the
token random; the table keeps only its SHA-256, and deleting the row makes every
copy of those cookies useless. "Sign out" deletes this device's row, "sign out
everywhere" all of the account's rows, and a password change all but this one.

Cookies issued before device sessions hold the account-wide ``users.session_token``
instead; they keep working until that token rotates (sign-out on such a session,
sign out everywhere, a password change).

Like services, these functions flush and never commit.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from uuid import UUID

import sqlalchemy as sa
from flask import current_app

from mall.accounts.models import DeviceSession, User, new_session_token
from mall.db import utcnow
from mall.extensions import db

# A session without "Keep me signed in" ends when the browser closes, and on the
# server at the latest this long after signing in (a copied cookie dies with it).
BROWSER_SESSION_LIFETIME = timedelta(hours=24)
DEFAULT_REMEMBER_LIFETIME = timedelta(days=30)


def prune_expired_sessions() -> int:
    """Delete every expired device session (of accounts that never sign in again); how many."""
    result = db.session.execute(
        sa.delete(DeviceSession).where(DeviceSession.expires_at <= utcnow())
    )
    return result.rowcount or 0


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def start_session(user: User, *, remember: bool) -> str:
    """A new device session for ``user`` (now ``user.get_id()``); returns its token.

    Lasts as long as the remember cookie with ``remember``, else ``BROWSER_SESSION_LIFETIME``.
    The account's expired sessions are deleted on the way.
    """
    now = utcnow()
    db.session.execute(
        sa.delete(DeviceSession).where(
            DeviceSession.user_id == user.id, DeviceSession.expires_at <= now
        )
    )
    token = secrets.token_urlsafe(32)
    lifetime = BROWSER_SESSION_LIFETIME
    if remember:
        lifetime = current_app.config.get("REMEMBER_COOKIE_DURATION", DEFAULT_REMEMBER_LIFETIME)
        if isinstance(lifetime, int):
            lifetime = timedelta(seconds=lifetime)
    db.session.add(
        DeviceSession(user_id=user.id, token_hash=_digest(token), expires_at=now + lifetime)
    )
    db.session.flush()
    user.device_token = token
    return token


def load_session_user(session_id: str) -> User | None:
    """Flask-Login's loader: ``<user id>.<token>`` -> the user, while that session lasts.

    One query, for a device session or an account-wide one alike.
    """
    user_id, _, token = (session_id or "").partition(".")
    if not token or len(token) > 64:
        return None
    try:
        uid = UUID(user_id)
    except ValueError:
        return None
    live = sa.and_(
        DeviceSession.user_id == User.id,
        DeviceSession.token_hash == _digest(token),
        DeviceSession.expires_at > utcnow(),
    )
    row = db.session.execute(
        sa.select(User, DeviceSession.id).outerjoin(DeviceSession, live).where(User.id == uid)
    ).first()
    if row is None:
        return None
    user, device_session_id = row
    if device_session_id is not None:
        user.device_token = token
        return user
    if hmac.compare_digest(token.encode(), user.session_token.encode()):
        return user  # a session from before device sessions
    return None


def end_session(user: User) -> None:
    """Sign out the device this request came from (safe to repeat)."""
    if user.device_token is not None:
        db.session.execute(
            sa.delete(DeviceSession).where(
                DeviceSession.user_id == user.id,
                DeviceSession.token_hash == _digest(user.device_token),
            )
        )
        user.device_token = None
    else:
        # An account-wide session: only rotating the account's token ends it.
        user.session_token = new_session_token()
    db.session.flush()


def end_all_sessions(user: User) -> None:
    """Sign the account out on every device, this one included."""
    db.session.execute(sa.delete(DeviceSession).where(DeviceSession.user_id == user.id))
    user.session_token = new_session_token()
    user.device_token = None
    db.session.flush()


def end_other_sessions(user: User) -> None:
    """Sign the account out everywhere except on this device.

    An account-wide session (from before device sessions) cannot survive the rotation
    that ends the others, so this device gets a device session of its own.
    """
    others = sa.delete(DeviceSession).where(DeviceSession.user_id == user.id)
    if user.device_token is not None:
        others = others.where(DeviceSession.token_hash != _digest(user.device_token))
    db.session.execute(others)
    user.session_token = new_session_token()
    if user.device_token is None:
        start_session(user, remember=False)
    db.session.flush()


def count_sessions(user: User) -> int:
    """On how many devices the account is signed in (this one included)."""
    live = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(DeviceSession)
        .where(DeviceSession.user_id == user.id, DeviceSession.expires_at > utcnow())
    )
    return int(live or 0) + (1 if user.device_token is None else 0)
