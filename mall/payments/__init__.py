"""Payments: providers (Stripe, test, bank transfer, offline card) and webhooks."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The webhook, the shop's and the operator's pages, the "test mode" template global,
    HTTPS-only card pages in production, and the hourly sweep of overdue offline cards."""
    from mall.payments import admin_views, console_views, jobs, views
    from mall.payments.providers import payments_test_mode
    from mall.schedule import add_periodic

    for blueprint in (views.bp, admin_views.bp, console_views.bp):
        app.register_blueprint(blueprint)
    app.add_template_global(payments_test_mode, "payments_test_mode")
    app.before_request(views.card_pages_over_https)
    add_periodic(app, jobs.purge_overdue_offline_cards, interval=3600)
