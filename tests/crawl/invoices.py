"""Tracking and invoices: the customer's tracking page and documents (behind a signed token),
the order page's "New tracking link", the shop's invoices and credit notes (back office)."""

from __future__ import annotations

from mall.extensions import db

# Signed tracking links only: a tampered token, or another order's document, answers 404
# (``tests/mall/test_tracking.py``, ``tests/mall/test_invoices.py``).
MALL_ROUTES = {
    "tracking.order",
    "invoices_public.document",
    "invoices_public.document_pdf",
}

SHOP_ROUTES = {
    "orders_admin.new_tracking_link",
    "invoices_admin.index",
    "invoices_admin.document",
    "invoices_admin.document_pdf",
    "invoices_admin.details",
}


def make_document(shop):
    """An invoice of a paid order of ``shop``; its id."""
    from mall.invoices.services import issue_invoice
    from mall.orders.services import mark_order_paid
    from tenants.context import tenant_context
    from tests.crawl.orders import place_order

    with tenant_context(shop):
        order = place_order(shop)
        mark_order_paid(order)
        document, _ = issue_invoice(order)
        db.session.commit()
        return document.id


OBJECT_IDS = {"document_id": make_document}
