"""Invoices listen to the orders' signals: an invoice when paid, a credit note per refund."""

from __future__ import annotations

from typing import Any

from mall.invoices.services import issue_credit_note, issue_invoice
from mall.orders.models import Order, OrderRefund
from mall.signals import order_paid, order_refunded
from tenants.guard import scoped_get


def on_order_paid(order: Order, **_: Any) -> None:
    """Issue the order's invoice, once (in the shop's tenant context, in the paying transaction)."""
    issue_invoice(order)


def on_order_refunded(order: Order, *, refund_id: Any, **_: Any) -> None:
    """Issue the refund's credit note, once (in the shop's tenant context)."""
    refund = scoped_get(OrderRefund, refund_id)
    if refund is not None:
        issue_credit_note(order, refund)


def connect() -> None:
    """Subscribe (module-level functions, so blinker's weak references stay alive)."""
    order_paid.connect(on_order_paid)
    order_refunded.connect(on_order_refunded)
