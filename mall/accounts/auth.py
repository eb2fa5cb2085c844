"""Flask-Login wiring and the access decorators every domain uses."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from flask import Flask, abort
from flask_login import current_user, login_required

from mall.accounts.services import load_session_user
from mall.extensions import login_manager

__all__ = ["current_user", "init_app", "login_required", "operator_required", "verified_required"]


def init_app(app: Flask) -> None:
    """Bind Flask-Login: ids-only sessions, the sign-in page, remember-me for 30 days."""
    login_manager.init_app(app)
    login_manager.user_loader(load_session_user)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    app.config.setdefault("REMEMBER_COOKIE_DURATION", timedelta(days=30))


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
