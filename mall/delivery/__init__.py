"""Digital delivery: download grants, signed downloads, licence keys (issue 12)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The buyer's download pages, the shop's delivery back office and what delivery listens
    to (payment, refunds, cancellations, chargebacks), the downloads link on an order's
    tracking page and in the account's menu. Its settings (``DOWNLOAD_ACCEL``,
    ``DOWNLOAD_ACCEL_PREFIX``, ``DOWNLOAD_LINK_TTL``) are read in ``config``."""
    from mall.accounts.account_links import add_account_link
    from mall.delivery import admin_views, queries, subscribers, views
    from mall.orders.status import add_fulfilment_hold
    from mall.orders.tracking import add_page_link

    app.register_blueprint(views.bp)
    app.register_blueprint(admin_views.bp)
    subscribers.connect()
    add_page_link(app, queries.tracking_page_link)
    add_fulfilment_hold(app, queries.key_holds)  # an order owed a licence key is not fulfilled
    add_account_link(app, "Your downloads", "delivery.account_downloads")
