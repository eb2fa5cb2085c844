"""Pricing: shops' shipping methods and tax rates, and the quote of a cart."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The shipping and tax back office pages and the operator's tax collection page."""
    from mall.pricing import admin_views, console_views

    for blueprint in (admin_views.bp, console_views.bp):
        app.register_blueprint(blueprint)
