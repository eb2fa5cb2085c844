"""Flask-Login wiring, the browser side of signing in and out, and the access decorators
every domain uses.

Sessions are protected on the server (``mall.accounts.sessions``), not by
Flask-Login's session protection, which stores a hash of the client's IP address
and user agent in the cookie: the cookies hold random ids only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from flask import Flask, abort, current_app, request, session
from flask_login import current_user, login_required, login_user, logout_user
from flask_login.utils import decode_cookie

from mall.accounts.models import User
from mall.accounts.sessions import load_session_user
from mall.extensions import login_manager
from mall.signals import user_signed_in

__all__ = [
    "begin_browser_session",
    "current_user",
    "end_browser_session",
    "init_app",
    "login_required",
    "operator_required",
    "verified_required",
]

# The guest cart's token in the Flask session (``mall.cart`` keeps it under this key):
# read before the session is renewed at sign-in and handed to ``user_signed_in``, which
# the cart answers by merging that cart into the account's.
CART_TOKEN_KEY = "cart_token"  # noqa: S105  (a session key's name, not a secret)
# Flask-Login's instruction to delete the remember cookie, set by ``logout_user``.
REMEMBER_INSTRUCTION = "_remember"
# What Flask-Login's session protection stored: a SHA-512 of the IP address and user agent.
PROTECTION_HASH = "_id"


def init_app(app: Flask) -> None:
    """Bind Flask-Login: ids-only sessions, the sign-in page, remember-me for 30 days."""
    login_manager.init_app(app)
    login_manager.user_loader(_load_user)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = None
    app.config.setdefault("REMEMBER_COOKIE_DURATION", timedelta(days=30))


def _load_user(session_id: str) -> User | None:
    """The user of a live session; an ended one is forgotten, with its remember cookie."""
    if PROTECTION_HASH in session:  # left by session protection before it was turned off
        session.pop(PROTECTION_HASH)
    user = load_session_user(session_id)
    if user is None:
        session.pop("_user_id", None)
        session.pop("_fresh", None)
        if _remember_cookie_id() == session_id:
            session[REMEMBER_INSTRUCTION] = "clear"
    return user


def _remember_cookie_id() -> str | None:
    name = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    value = request.cookies.get(name)
    return decode_cookie(value) if value else None


def _renew(keep: tuple[str, ...]) -> None:
    """Empty the Flask session (a new one, with a new CSRF token) but for ``keep``."""
    kept = {key: session[key] for key in keep if key in session}
    session.clear()
    session.update(kept)


def begin_browser_session(user: User, *, remember: bool) -> None:
    """Sign this browser in as ``user`` (whose device session is started): a fresh session
    (nothing planted before survives); the guest cart joins the account's cart."""
    cart_token = session.get(CART_TOKEN_KEY)
    _renew(())
    login_user(user, remember=remember)
    session.pop(PROTECTION_HASH, None)
    # Subscribers write (the cart merges): the caller commits after this.
    user_signed_in.send(user, cart_token=cart_token if isinstance(cart_token, str) else None)


def end_browser_session() -> None:
    """Sign this browser out: a fresh session (the account's cart stays with the account;
    the browser starts an empty guest cart), and the remember cookie deleted. (End the
    session on the server first: ``services.sign_out``.)"""
    logout_user()
    _renew((REMEMBER_INSTRUCTION,))


def operator_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Only the platform's operators; everyone else gets 403 (anonymous: sign in)."""

    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_operator:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def verified_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Signed in with a verified email address."""

    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_verified:
            from flask import flash, redirect, url_for

            flash("Please confirm your email address first: we sent you a link.", "warning")
            return redirect(url_for("accounts.account"))
        return view(*args, **kwargs)

    return wrapped
