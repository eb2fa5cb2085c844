"""Payments: Stripe's webhook (signed, no session), the operator's providers page, and the
shop's payment settings and offline cards (back office). Card pages take an order id
(``order_id``: made by ``tests/crawl/orders.py``)."""

from __future__ import annotations

# The webhook answers only to Stripe's signature; the providers page to operators.
MALL_ROUTES = {
    "payments.stripe_webhook",
    "payments_console.providers",
}

SHOP_ROUTES = {
    "payments_admin.settings",
    "payments_admin.cards",
    "payments_admin.card",
    "payments_admin.reveal",
    "payments_admin.process",
    "payments_admin.decline",
}
