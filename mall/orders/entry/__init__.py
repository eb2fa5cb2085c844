"""Order entry: quotes and invoices that staff type for orders taken by phone or mail,
their pay links, reminders and recurring invoices."""

from __future__ import annotations

from flask import Flask


def wire(app: Flask) -> None:
    """Register order entry's pages and jobs (called by ``mall.orders.init_app``)."""
    from mall.orders.entry import recurring_views

    recurring_views.wire_recurring(app)
