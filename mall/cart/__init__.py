"""The customer's cart across every shop, kept in the database (guest or account)."""

from __future__ import annotations

from typing import Any

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the cart pages, the merge at sign-in and the expiry of idle carts."""
    from mall.cart import jobs, views
    from mall.schedule import add_periodic
    from mall.signals import user_signed_in

    app.register_blueprint(views.bp)
    user_signed_in.connect(_merge_at_sign_in, weak=False)
    add_periodic(app, jobs.expire_idle_carts, interval=24 * 3600)


def _merge_at_sign_in(user: Any, *, cart_token: str | None = None, **_: Any) -> None:
    """The guest cart of the browser that signed in joins the account's cart."""
    from mall.cart.services import signed_in

    signed_in(user, cart_token=cart_token)
