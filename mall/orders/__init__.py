"""Orders: one per shop per checkout, lines that snapshot the sale, stock holds."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The shop's order pages in its back office, the customer's tracking page; refunds made on
    the provider's dashboard."""
    from mall.orders import admin_views, entry, refunds, tracking_views

    app.register_blueprint(admin_views.bp)
    app.register_blueprint(tracking_views.bp)
    refunds.connect()
    entry.wire(app)
