"""Digital delivery: download grants, signed downloads, licence keys (issue 12)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The buyer's download pages, the shop's delivery back office and what delivery listens
    to (payment, refunds, cancellations, chargebacks). Its settings (``DOWNLOAD_ACCEL``,
    ``DOWNLOAD_ACCEL_PREFIX``, ``DOWNLOAD_LINK_TTL``) are read in ``config``."""
    from mall.delivery import admin_views, subscribers, views

    app.register_blueprint(views.bp)
    app.register_blueprint(admin_views.bp)
    subscribers.connect()
