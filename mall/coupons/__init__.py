"""Coupons: shop coupons (funded by the shop) and mall coupons (by the platform)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The shop's coupon pages (back office) and the operator's mall coupon pages."""
    from mall.coupons import admin_views, console_views

    for blueprint in (admin_views.bp, console_views.bp):
        app.register_blueprint(blueprint)
