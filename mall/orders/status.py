"""The order's status machine: every allowed move, in one place, and the one way to make it.

::

    awaiting_payment ─▶ paid ─▶ partially_fulfilled ─▶ fulfilled ─▶ delivered
          │   ▲           │              │                  │            │
          ▼   │ (late     ▼              ▼                  ▼            ▼
       cancelled payment) cancelled   refunded           refunded     refunded
                          refunded
    paid_short (paid after the stock was sold) ─▶ refunded

"Partially refunded" is a payment status (``PaymentStatus.PARTIALLY_REFUNDED``):
the order keeps its fulfilment status while part of its money went back.

``move(order, new)`` is a conditional UPDATE (``WHERE status IN (allowed
sources)``): whichever caller gets there first moves the order, a repeat
changes nothing (False), and a move the machine does not allow raises
``InvalidTransition`` with a sentence a shop owner can read.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from mall.db import utcnow
from mall.extensions import db
from mall.orders.errors import InvalidTransition
from mall.orders.models import Order, OrderStatus

S = OrderStatus

# new status -> the statuses it may be reached from
ALLOWED: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.PAID: frozenset({S.AWAITING_PAYMENT}),  # a late payment revives: see ``REVIVABLE``
    S.PAID_OUT_OF_STOCK: frozenset({S.PAID}),
    S.PARTIALLY_FULFILLED: frozenset({S.PAID, S.PARTIALLY_FULFILLED}),
    S.FULFILLED: frozenset({S.PAID, S.PARTIALLY_FULFILLED}),
    S.DELIVERED: frozenset({S.FULFILLED}),
    S.CANCELLED: frozenset({S.AWAITING_PAYMENT, S.PAID}),  # paid: refunded in full first
    S.REFUNDED: frozenset(
        {S.PAID, S.PAID_OUT_OF_STOCK, S.PARTIALLY_FULFILLED, S.FULFILLED, S.DELIVERED}
    ),
}
# A payment that arrives after the checkout expired pays its cancelled orders.
REVIVABLE = frozenset({S.AWAITING_PAYMENT, S.CANCELLED})

LABELS = {
    S.AWAITING_PAYMENT: "awaiting payment",
    S.PAID: "paid",
    S.PAID_OUT_OF_STOCK: "paid — out of stock",
    S.PARTIALLY_FULFILLED: "partially fulfilled",
    S.FULFILLED: "fulfilled",
    S.DELIVERED: "delivered",
    S.CANCELLED: "cancelled",
    S.REFUNDED: "refunded",
}
VERBS = {
    S.AWAITING_PAYMENT: "put back to awaiting payment",
    S.PAID: "marked paid",
    S.PAID_OUT_OF_STOCK: "marked paid — out of stock",
    S.PARTIALLY_FULFILLED: "partially fulfilled",
    S.FULFILLED: "fulfilled",
    S.DELIVERED: "marked delivered",
    S.CANCELLED: "cancelled",
    S.REFUNDED: "refunded in full",
}


def can_move(current: OrderStatus, new: OrderStatus) -> bool:
    """True when the machine allows ``current`` -> ``new``."""
    return current in ALLOWED.get(new, frozenset())


def refusal(order: Order, new: OrderStatus) -> str:
    """Why ``order`` cannot be ``new`` now, in a sentence."""
    return (
        f"Order {order.number} is {LABELS[order.status]}: it cannot be {VERBS.get(new, new)} now."
    )


def move(
    order: Order,
    new: OrderStatus,
    *,
    sources: frozenset[OrderStatus] | None = None,
    **values: Any,
) -> bool:
    """Move ``order`` to ``new`` (with ``values``) if the machine allows it from its status now.

    Returns True when this call moved it, False when it already was ``new`` (a
    repeat, or another path got there first). Raises ``InvalidTransition`` for a
    move the machine does not allow. ``sources`` narrows (never widens, except
    ``REVIVABLE`` for a late payment) the statuses it may come from.
    """
    allowed = sources if sources is not None else ALLOWED.get(new, frozenset())
    if sources is not None and sources is not REVIVABLE:
        allowed = sources & ALLOWED.get(new, frozenset())
    if not allowed:  # nothing may reach ``new`` (awaiting payment): no UPDATE to try
        db.session.refresh(order)
        if order.status is new:
            return False
        raise InvalidTransition(refusal(order, new))
    changed = db.session.execute(
        sa.update(Order)
        .where(
            Order.tenant_id == order.tenant_id,
            Order.id == order.id,
            Order.status.in_(sorted(allowed)),
        )
        .values(status=new, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(order)
    if changed == 1:
        return True
    if order.status is new:
        return False
    raise InvalidTransition(refusal(order, new))
