"""Order entry: quotes and invoices that staff type for orders taken by phone or mail,
their pay links, reminders and recurring invoices."""

from __future__ import annotations

from flask import Flask


def wire(app: Flask) -> None:
    """Register order entry's pages and jobs (called by ``mall.orders.init_app``)."""
    from mall.orders.entry import (
        action_views,  # noqa: F401  (the moves, on admin_views.bp)
        admin_views,
        payment,
        recurring_views,
        views,
    )
    from mall.shops.admin_links import add_admin_link

    app.register_blueprint(admin_views.bp)
    app.register_blueprint(views.bp)
    payment.connect()
    add_admin_link(
        app,
        "order_entry.documents",
        "Sales",
        permission="orders.enter",
        prefixes=("order_entry.", "invoice_schedules."),
    )
    recurring_views.wire_recurring(app)
