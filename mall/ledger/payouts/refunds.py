"""After a refund: release what a finished order left pending, take back a paid-out transfer.

Subscribed to ``order_refunded`` (in the shop's context, inside the refund's
transaction). The refund's own entry is posted first (``sales.post_refund`` is
keyed, so whichever subscriber runs first posts it and the other finds it):

- an order refunded in full (or cancelled) that will never ship and whose holding
  period is over is released now, so what is left on it is netted from the next
  payout instead of waiting in "pending" for ever;
- an order whose money was paid out by a Stripe transfer and now owes (the refund
  took its part below zero) gets a transfer reversal, asked of Stripe by a job
  after the commit (``transfers.reverse_after_refund``).
"""

from __future__ import annotations

from typing import Any

from mall.jobs import enqueue_after_commit
from mall.ledger import jobs
from mall.ledger.payouts.transfers import needs_reversal
from mall.ledger.posting import find_entry
from mall.ledger.release import release_if_due
from mall.ledger.sales import post_refund, release_key
from mall.orders.models import Order, OrderRefund
from mall.signals import order_refunded
from tenants.guard import scoped_get


def on_order_refunded(order: Order, *, refund_id: Any, full: bool = False, **_: Any) -> None:
    """See the module: release a finished order, queue a transfer reversal if paid out."""
    refund = scoped_get(OrderRefund, refund_id)
    if refund is None:
        return
    post_refund(order, refund)
    if full and find_entry(release_key(order.id)) is None:
        release_if_due(order)
    if needs_reversal(order.id, order.tenant_id):
        enqueue_after_commit(jobs.reverse_transfers_after_refund, str(refund.id))


def connect() -> None:
    """Subscribe (a module-level function, so blinker's weak reference stays alive)."""
    order_refunded.connect(on_order_refunded)
