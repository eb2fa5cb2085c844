"""Paying affiliates: the operator's payout batches (Stripe transfers, a PayPal CSV),
payouts marked paid or failed, and what the affiliate reads of their own payouts."""

from __future__ import annotations

from flask import Flask


def wire(app: Flask) -> None:
    """The operator's payout pages and their console link (called by ``affiliates.init_app``)."""
    from affiliates.payouts import console_views
    from mall.console.nav import add_console_link

    app.register_blueprint(console_views.bp)
    add_console_link(app, "affiliate_payouts_console.index", "Affiliate payouts")
