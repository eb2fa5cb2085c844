"""Tell a shop about its new order, by email, once the transaction that made it commits."""

from __future__ import annotations

from mall.jobs import enqueue_after_commit
from mall.orders.jobs import send_new_order_email
from mall.orders.models import Order


def notify_shop_of_order(order: Order) -> None:
    """Email the shop's owners about ``order`` after commit (ids only in the job)."""
    enqueue_after_commit(send_new_order_email, str(order.tenant_id), str(order.id))
