"""The customer's cart across every shop."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the cart pages (view, add, update, remove)."""
    from mall.cart import views

    app.register_blueprint(views.bp)
