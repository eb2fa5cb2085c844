"""Checkout: contact, address, shipping, payment, review, pay; one order per shop."""

from __future__ import annotations

from typing import Any

from flask import Flask


def _payment_succeeded(_payment: Any, *, checkout_id: Any, **_: Any) -> None:
    from mall.checkout.completion import complete_checkout

    complete_checkout(checkout_id)


def _payment_lapsed(_payment: Any, *, checkout_id: Any, **_: Any) -> None:
    from mall.checkout.completion import expire_checkout

    expire_checkout(checkout_id, reason="The payment was not completed.")


def init_app(app: Flask) -> None:
    """The checkout pages; completion and expiry on the payments' signals; the expiry sweep."""
    from mall.checkout import jobs, views
    from mall.schedule import add_periodic
    from mall.signals import payment_expired, payment_failed, payment_succeeded

    app.register_blueprint(views.bp)
    # Module-level receivers: connecting them again (another app) changes nothing.
    payment_succeeded.connect(_payment_succeeded)
    payment_expired.connect(_payment_lapsed)
    payment_failed.connect(_payment_lapsed)
    add_periodic(app, jobs.expire_overdue_checkouts, interval=60)
