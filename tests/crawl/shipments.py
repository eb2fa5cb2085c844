"""Shipments: the order page's "Record a shipment" action (back office)."""

from __future__ import annotations

SHOP_ROUTES = {
    "orders_admin.shipments",
    "orders_admin.ship",
}
