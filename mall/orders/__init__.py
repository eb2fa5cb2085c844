"""Orders: one per shop per checkout, lines that snapshot the sale, stock holds."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The shop's order pages in its back office."""
    from mall.orders import admin_views

    app.register_blueprint(admin_views.bp)
