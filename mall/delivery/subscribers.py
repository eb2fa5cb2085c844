"""Delivery listens to the orders' and payments' signals (inside their transaction).

- ``order_paid``: each digital line gets its grant (once per line, however often
  the signal comes);
- ``order_refunded``: refunded units lose their keys, a fully refunded line or
  order its grant; an amount-only refund changes nothing;
- ``order_cancelled``: whatever was granted is revoked (a paid order is cancelled
  through a full refund, which already did);
- a chargeback (``payment_dispute_updated`` opening a dispute, or one closed
  lost) revokes the grants of every order of the checkout. A dispute won leaves
  them revoked: the shop gives access again from the order page.
"""

from __future__ import annotations

from typing import Any

from mall.delivery import services
from mall.orders.models import Order
from mall.orders.services import orders_of_checkout
from mall.signals import (
    order_cancelled,
    order_paid,
    order_refunded,
    payment_dispute_closed,
    payment_dispute_updated,
)
from tenants.context import tenant_context

CHARGEBACK = "The payment was disputed (chargeback)."


def on_order_paid(order: Order, **_: Any) -> None:
    """Grant the digital lines of the order just paid (in the shop's context)."""
    services.grant_order(order)


def on_order_refunded(order: Order, *, lines: tuple = (), full: bool = False, **_: Any) -> None:
    """Revoke what the refund took back (in the shop's context)."""
    refunded = [line_id for line_id, quantity, _amount in lines if quantity]
    if full or refunded:
        services.follow_refund(order, line_ids=refunded, full=full)


def on_order_cancelled(order: Order, **_: Any) -> None:
    """A cancelled order keeps no access."""
    services.revoke_order(order, reason="The order was cancelled.")


def on_dispute(
    payment: Any, *, checkout_id: Any, status: str = "", amount: int = 0, **_: Any
) -> None:
    """A chargeback: every order of the checkout loses its downloads and keys."""
    if str(status).startswith("warning_") or status == "won" or not amount:
        return
    for order in orders_of_checkout(checkout_id):
        with tenant_context(order.tenant_id):
            services.revoke_order(order, reason=CHARGEBACK)


def connect() -> None:
    """Subscribe (module-level functions, so blinker's weak references stay alive)."""
    order_paid.connect(on_order_paid)
    order_refunded.connect(on_order_refunded)
    order_cancelled.connect(on_order_cancelled)
    payment_dispute_updated.connect(on_dispute)
    payment_dispute_closed.connect(on_dispute)
