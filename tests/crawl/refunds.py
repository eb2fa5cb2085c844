"""Refunds: the order page's refund form (back office); the order id comes from orders.py."""

from __future__ import annotations

SHOP_ROUTES = {
    "orders_admin.refund",
}
