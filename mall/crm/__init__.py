"""A shop's customers (who ordered or wrote: notes, tags, totals) and its message threads."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The shop's customers and messages pages, the customers' contact pages, and the
    subscriptions that keep the customer rows current (``order_paid``, ``order_refunded``);
    its part of a customer's data export, of an account's deletion and of the daily
    retention; ``mall backfill``."""
    from mall.accounts.erasure import add_erasure_step
    from mall.accounts.export_contents import add_export_section
    from mall.accounts.export_shops import add_shops_source
    from mall.accounts.retention import add_retention_step
    from mall.cli import add_commands
    from mall.crm import admin_customers, admin_messages, privacy, subscribers, tokens, views
    from mall.crm.backfill_cli import backfill_command
    from mall.orders.tracking import add_page_link

    app.register_blueprint(admin_customers.bp)
    app.register_blueprint(admin_messages.bp)
    app.register_blueprint(views.bp)
    app.register_blueprint(views.shop_bp)
    subscribers.connect()
    add_shops_source(app, privacy.shops_written_to)
    add_export_section(app, "customer_record", privacy.export_section)
    add_erasure_step(app, privacy.erase_person)
    add_retention_step(app, privacy.forget_inactive)
    add_page_link(app, tokens.order_contact_link)
    add_commands(backfill_command)  # ``flask mall backfill``: invoices and customers
