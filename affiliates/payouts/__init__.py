"""Paying affiliates: the operator's payout batches (Stripe transfers, a PayPal CSV),
payouts marked paid or failed, what the affiliate reads of their own payouts, and the
affiliate's Stripe account (Express onboarding, kept fresh by the Connect webhook)."""

from __future__ import annotations

from flask import Flask


def wire(app: Flask) -> None:
    """The operator's payout pages and their console link, the affiliate's Stripe onboarding
    and its Connect webhook listener (called by ``affiliates.init_app``)."""
    from affiliates.payouts import connect, connect_views, console_views
    from mall.console.nav import add_console_link
    from mall.ledger.connect import add_account_listener

    app.register_blueprint(console_views.bp)
    app.register_blueprint(connect_views.bp)
    add_console_link(app, "affiliate_payouts_console.index", "Affiliate payouts")
    add_account_listener(app, connect.account_updated)
