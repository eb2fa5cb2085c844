"""The CRM listens to the orders' signals: a paid order adds or updates its customer; a
refund only updates a customer the shop still has.

A refund never adds one: the record may be gone on purpose (the person deleted their
account, or retention removed it), and a refund must not bring it back.
"""

from __future__ import annotations

from typing import Any

from mall.crm.customers import find_customer, record_order
from mall.orders.models import Order
from mall.signals import order_paid, order_refunded
from tenants.keys import CiphertextInvalid, KeyDestroyed


def on_order_paid(order: Order, **_: Any) -> None:
    """Add or update the order's customer (in the shop's context, in the paying transaction)."""
    record_order(order)


def on_order_refunded(order: Order, **_: Any) -> None:
    """Recompute the lifetime value of the order's customer, if the shop still has one."""
    try:
        known = find_customer(order.email) is not None
    except (KeyDestroyed, CiphertextInvalid):
        return  # an erased or unreadable address: there is nobody to update
    if known:
        record_order(order)


def connect() -> None:
    """Subscribe (module-level functions, so blinker's weak references stay alive)."""
    order_paid.connect(on_order_paid)
    order_refunded.connect(on_order_refunded)
