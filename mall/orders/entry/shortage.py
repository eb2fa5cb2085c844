"""An invoice whose stock ran out after it was issued, paid all the same by bank transfer.

Staff who received the customer's transfer must be able to record it: the order is
placed owing the missing stock (a hold recorded as released, nothing taken) and paying
it tries to take that stock again (``mall.orders.services.confirm_holds``); failing, the
order is "paid — out of stock", as a web order whose stock went elsewhere: staff refund
it from the order's page. Such an order announces no ``order_paid`` (no sale is posted),
so the invoice is marked paid here, and the order's timeline says what staff do next.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from mall.db import utcnow
from mall.extensions import db
from mall.orders.entry.lifecycle import OPEN, move
from mall.orders.entry.models import SalesDocument, SalesStatus
from mall.orders.errors import StockShortage
from mall.orders.models import HoldStatus, Order, OrderStatus, StockHold
from mall.orders.notifications import notify_shop_of_order
from mall.orders.services import get_order, hold_stock, record_event


def hold_what_is_there(order: Order, demand: dict[UUID, int], *, until: Any) -> None:
    """Hold each variant's stock if it is there; a missing one is owed: a hold recorded as
    released with nothing taken, which paying tries to take again (``confirm_holds``)
    and, failing, makes the order "paid — out of stock"."""
    for variant_id in sorted(demand):
        try:
            hold_stock(order, {variant_id: demand[variant_id]}, until=until)
        except StockShortage:
            db.session.add(
                StockHold(
                    tenant_id=order.tenant_id,
                    order_id=order.id,
                    variant_id=variant_id,
                    quantity=demand[variant_id],
                    status=HoldStatus.RELEASED,
                    expires_at=until,
                )
            )
    db.session.flush()


def record_paid_short(document: SalesDocument, order: Order, *, actor_id: UUID) -> None:
    """The transfer is recorded on an order short of stock: the invoice is paid all the
    same (no ``order_paid`` for such an order), and the order says what staff do next."""
    if not move(
        document,
        OPEN,
        status=SalesStatus.PAID,
        paid_at=order.paid_at or utcnow(),
        paid_method=(order.payment_method or "")[:32],
    ):
        return
    record_event(
        order,
        "paid_short",
        f"Invoice {document.number}'s bank transfer is recorded, but its stock ran out: "
        "refund the customer from this page (an order short of stock is not shipped).",
        actor_id=actor_id,
    )
    notify_shop_of_order(order)


def paid_message(document: SalesDocument) -> str:
    """What staff are told after marking the invoice paid (short of stock, or not)."""
    what = f"Invoice {document.number}" if document.number else "The invoice"
    order = get_order(document.order_id) if document.order_id else None
    if order is not None and order.status is OrderStatus.PAID_OUT_OF_STOCK:
        return (
            f"{what} is paid, but its stock ran out: order {order.number} is “paid — out of "
            "stock”: refund the customer from the order's page."
        )
    return f"{what} is paid: its order is placed and the customer is told."
