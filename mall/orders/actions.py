"""What the shop's staff do to an order from its page, and what the customer is told.

Each function is the one service a back-office view calls: it changes the order
through the services (and so the status machine), and, when something changed,
emails the customer after commit. Repeats change nothing and send nothing.
"""

from __future__ import annotations

from uuid import UUID

from mall.orders import status
from mall.orders.bank_transfers import confirm_bank_transfer
from mall.orders.errors import InvalidTransition
from mall.orders.models import Order, OrderStatus
from mall.orders.notifications import (
    notify_customer_of_cancellation,
    notify_customer_of_transfer,
)
from mall.orders.refunds import cancel_paid_order
from mall.orders.services import cancel_order


def cancel_by_shop(order: Order, *, actor_id: UUID, reason: str, key: str) -> bool:
    """Cancel ``order`` for the shop; False when it already was cancelled.

    Unpaid: its held stock goes back. Paid with nothing shipped: it is refunded in
    full and restocked (``refunds.cancel_paid_order``, once per rendered form's
    ``key``). Anything else raises ``InvalidTransition`` saying what to do instead.
    The customer is emailed when it changed.
    """
    if order.status is OrderStatus.AWAITING_PAYMENT:
        changed = cancel_order(order, actor_id=actor_id, reason=reason)
    elif order.status is OrderStatus.PAID:
        changed = cancel_paid_order(order, actor_id=actor_id, reason=reason, key=key)
    elif order.status is OrderStatus.CANCELLED:
        return False
    else:
        raise InvalidTransition(
            f"Order {order.number} is {status.LABELS[order.status]}: only an order awaiting "
            "payment, or paid with nothing shipped, can be cancelled. Refund it instead."
        )
    if changed:
        notify_customer_of_cancellation(order)
    return changed


def confirm_transfer_by_shop(order: Order, *, actor_id: UUID) -> bool:
    """The customer's bank transfer arrived: the order is paid (once), the customer told."""
    changed = confirm_bank_transfer(order, actor_id=actor_id)
    if changed:
        notify_customer_of_transfer(order)
    return changed
