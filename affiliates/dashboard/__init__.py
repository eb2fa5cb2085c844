"""What an affiliate sees of their work (the dashboard, the link builder) and what a shop
sees of its affiliate sales. Reads only: daily rollups and commissions, never the clicks."""

from __future__ import annotations

from flask import Flask


def wire(app: Flask) -> None:
    """Register this part's pages (called by ``affiliates.init_app``): the affiliate's
    dashboard, link builder and payouts, and the shop's affiliate sales in its back office."""
    from affiliates.dashboard import admin_views, payout_views, views

    app.register_blueprint(views.bp)
    app.register_blueprint(payout_views.bp)
    app.register_blueprint(admin_views.bp)
