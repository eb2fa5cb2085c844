"""Affiliate coupons: a shop links one of its coupons to an affiliate eligible there, the
operator links a mall coupon to any approved affiliate; a sale using the coupon is then the
affiliate's (``affiliates.commissions.attribution``). The affiliate sees their codes."""

from __future__ import annotations

from flask import Flask


def wire(app: Flask) -> None:
    """The shop's and the operator's coupon pages (called by ``affiliates.init_app``)."""
    from affiliates.coupons import admin_views, console_views
    from mall.console.nav import add_console_link
    from mall.shops.admin_links import add_admin_link

    app.register_blueprint(admin_views.bp)
    app.register_blueprint(console_views.bp)
    add_console_link(app, "affiliate_coupons_console.index", "Affiliate coupons")
    add_admin_link(
        app,
        "affiliate_coupons_admin.coupons",
        "Affiliate coupons",
        permission="shop.settings",
        prefixes=("affiliate_coupons_admin.",),
    )
