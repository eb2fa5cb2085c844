"""Staff confirm that a customer's bank transfer arrived: the order becomes paid, once."""

from __future__ import annotations

from uuid import UUID

from mall.orders.errors import OrderError
from mall.orders.models import Order, OrderStatus
from mall.orders.services import mark_order_paid

BANK_TRANSFER = "bank_transfer"
RECEIVED_NOTE = "Bank transfer received."


def confirm_bank_transfer(order: Order, *, actor_id: UUID | None) -> bool:
    """Mark a bank-transfer order paid; False when it already was (a second click).

    Raises ``OrderError`` when the order is not paid by bank transfer, or is no
    longer awaiting payment for another reason (cancelled, refunded).
    """
    if order.payment_method != BANK_TRANSFER:
        raise OrderError(
            f"Order {order.number} is not paid by bank transfer: its payment is recorded "
            "by its payment provider."
        )
    if mark_order_paid(order, actor_id=actor_id, note=RECEIVED_NOTE):
        return True
    if order.status in (OrderStatus.PAID, OrderStatus.PAID_OUT_OF_STOCK):
        return False
    raise OrderError(
        f"Order {order.number} is {order.status.value.replace('_', ' ')}: "
        "only an order awaiting payment can be marked paid."
    )
