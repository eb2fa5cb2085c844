"""Orders: one per shop per checkout, lines that snapshot the sale, stock holds."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The shop's order pages in its back office; refunds made on the provider's dashboard."""
    from mall.orders import admin_views, refunds

    app.register_blueprint(admin_views.bp)
    refunds.connect()
