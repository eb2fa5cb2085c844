"""The mall program's settings, each shop's terms and product rates, and the one function
that decides which rate applies (``rates.rate_for``)."""

from __future__ import annotations

from flask import Flask


def wire(app: Flask) -> None:
    """Register this part's pages (called by ``affiliates.init_app``)."""
    from affiliates.programs import (
        admin_views,
        console_views,
        private_admin_views,
        private_views,
    )
    from mall.console.nav import add_console_link
    from mall.shops.admin_links import add_admin_link

    app.register_blueprint(console_views.bp)
    app.register_blueprint(admin_views.bp)
    app.register_blueprint(private_admin_views.bp)
    app.register_blueprint(private_views.bp)
    add_console_link(app, "affiliate_program_console.settings", "Affiliate program")
    add_admin_link(
        app,
        "affiliate_terms_admin.terms",
        "Affiliates",
        permission="shop.settings",
        prefixes=(
            "affiliate_terms_admin.",
            "affiliate_sales_admin.",
            "affiliate_private_admin.",
        ),
    )
