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

A later domain may hold an order back from "fulfilled" (``add_fulfilment_hold``;
delivery while a licence key is owed): ``holds_of`` says which and why, for the
pages and for ``mall.orders.fulfilment``, which will not fulfil a held order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from flask import Flask, current_app

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


# ---------------------------------------------------------------- holds
# A later domain may keep an order from "fulfilled" (delivery: a licence key still owed);
# ``mall.orders.fulfilment`` asks before it fulfils, the pages show why.

HOLDS_KEY = "mall.orders.fulfilment_holds"
Hold = Callable[[Sequence[Order]], Mapping[UUID, str]]


def add_fulfilment_hold(app: Flask, func: Hold) -> None:
    """Let a later domain hold orders back from "fulfilled": ``func(orders)`` returns
    {order id: why} for those it holds, in their shop's context, in a constant number of
    queries (delivery: a licence key still owed)."""
    holds = app.extensions.setdefault(HOLDS_KEY, [])
    if func not in holds:
        holds.append(func)


def holds_of(orders: Sequence[Order]) -> dict[UUID, str]:
    """Why each of ``orders`` may not be fulfilled yet, by order id (absent: not held)."""
    found: dict[UUID, str] = {}
    if not orders:
        return found
    for func in current_app.extensions.get(HOLDS_KEY, []):
        for order_id, why in func(orders).items():
            found.setdefault(order_id, why)
    return found


def held(order: Order) -> bool:
    """True while a later domain holds ``order`` back from "fulfilled"."""
    return bool(holds_of([order]))
