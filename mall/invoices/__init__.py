"""Invoices and credit notes: issued once per paid order and per refund, numbered per shop."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The shop's invoice pages, the customer's (behind the tracking link), and what issues
    documents (``order_paid``, ``order_refunded``)."""
    from mall.invoices import admin_views, services, subscribers, views

    app.register_blueprint(admin_views.bp)
    app.register_blueprint(views.bp)
    subscribers.connect()
    app.add_template_global(services.documents_of_order, "order_documents")
