"""The CRM listens to the orders' signals: a paid or refunded order updates its customer."""

from __future__ import annotations

from typing import Any

from mall.crm.customers import record_order
from mall.orders.models import Order
from mall.signals import order_paid, order_refunded


def on_order_paid(order: Order, **_: Any) -> None:
    """Add or update the order's customer (in the shop's context, in the paying transaction)."""
    record_order(order)


def on_order_refunded(order: Order, **_: Any) -> None:
    """Recompute the customer's lifetime value after a refund."""
    record_order(order)


def connect() -> None:
    """Subscribe (module-level functions, so blinker's weak references stay alive)."""
    order_paid.connect(on_order_paid)
    order_refunded.connect(on_order_refunded)
