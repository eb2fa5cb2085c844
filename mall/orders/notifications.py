"""Emails about an order, sent by jobs once the transaction that changed it commits.

Only ids go into the jobs: each job opens the order in its shop's context and
reads the sealed email address there, at send time.
"""

from __future__ import annotations

from mall.jobs import enqueue_after_commit
from mall.orders.jobs import (
    send_new_order_email,
    send_order_cancelled_email,
    send_transfer_received_email,
)
from mall.orders.models import Order


def notify_shop_of_order(order: Order) -> None:
    """Email the shop's owners about ``order`` after commit (ids only in the job)."""
    enqueue_after_commit(send_new_order_email, str(order.tenant_id), str(order.id))


def notify_customer_of_cancellation(order: Order) -> None:
    """Tell the customer the shop cancelled ``order`` (and refunded it, if it was paid)."""
    enqueue_after_commit(send_order_cancelled_email, str(order.tenant_id), str(order.id))


def notify_customer_of_transfer(order: Order) -> None:
    """Tell the customer the shop received the bank transfer for ``order``."""
    enqueue_after_commit(send_transfer_received_email, str(order.tenant_id), str(order.id))
