"""The operator's review of affiliate commissions: those waiting for review (above the
review amount) or carrying fraud flags, across every shop, approved or rejected one by one."""

from __future__ import annotations

from flask import Flask


def wire(app: Flask) -> None:
    """The review page and its console link (called by ``affiliates.init_app``)."""
    from affiliates.reviews import console_views
    from mall.console.nav import add_console_link

    app.register_blueprint(console_views.bp)
    add_console_link(app, "affiliate_reviews_console.index", "Affiliate reviews")
