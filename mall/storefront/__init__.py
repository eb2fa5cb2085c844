"""A member shop's storefront at /shop/<slug>/, its subdomain or its custom domain."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the shop home and product pages."""
    from mall.storefront import views

    app.register_blueprint(views.bp)
