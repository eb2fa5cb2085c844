"""Reads for the shop's order pages: the order list and one order with its timeline.

Each returns what one page shows in a fixed number of queries whatever the
number of rows; they run in the shop's tenant context (the guard and RLS keep
them to that shop).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

import sqlalchemy as sa

from mall.accounts.addresses import PostalAddress
from mall.accounts.models import User
from mall.extensions import db
from mall.orders.models import (
    Order,
    OrderDiscount,
    OrderEvent,
    OrderLine,
    OrderStatus,
    StockHold,
)
from mall.orders.services import order_address
from mall.pagination import Page, paginate
from tenants.keys import CiphertextInvalid, KeyDestroyed

STATUS_LABELS = {
    OrderStatus.AWAITING_PAYMENT: "Awaiting payment",
    OrderStatus.PAID: "Paid",
    OrderStatus.PAID_OUT_OF_STOCK: "Paid — out of stock",
    OrderStatus.CANCELLED: "Cancelled",
    OrderStatus.REFUNDED: "Refunded",
}


@dataclass(frozen=True)
class OrderList:
    """One page of orders, and the number of items (units) in each."""

    page: Page
    items: dict[UUID, int]


def order_list(*, status: str | None = None, page: int = 1, per_page: int = 25) -> OrderList:
    """The shop's orders, newest first, optionally of one status (three queries a page).

    Ordered by ``placed_at`` so that ``ix_orders_tenant_id_placed_at`` (or, with a
    status, ``ix_orders_tenant_id_status_placed_at``) serves the sort.
    """
    query = sa.select(Order)
    if status:
        query = query.where(Order.status == OrderStatus(status))
    query = query.order_by(Order.placed_at.desc(), Order.id.desc())
    found = paginate(query, page=page, per_page=per_page)
    ids = [order.id for order in found.items]
    counts: dict[UUID, int] = {}
    if ids:
        # One grouped query for the page instead of loading every order's lines.
        rows = db.session.execute(
            sa.select(OrderLine.order_id, sa.func.sum(OrderLine.quantity))
            .where(OrderLine.order_id.in_(ids))
            .group_by(OrderLine.order_id)
        )
        counts = {order_id: total for order_id, total in rows}
    return OrderList(page=found, items={order_id: int(n or 0) for order_id, n in counts.items()})


@dataclass
class OrderDetail:
    """What the order page shows besides the order row itself."""

    order: Order
    lines: list[OrderLine]
    discounts: list[OrderDiscount]
    events: list[OrderEvent]
    actors: dict[UUID, User]
    holds: list[StockHold]
    skus: dict[UUID, str] = field(default_factory=dict)  # variant id -> SKU (for the holds)
    address: PostalAddress | None = None
    address_unreadable: bool = False


def order_detail(order: Order) -> OrderDetail:
    """The order's lines, discounts, timeline (with who acted), holds and shipping address.

    Six queries whatever the number of lines or events: the actors of the
    timeline are read in one query, not one per event.
    """
    lines = list(
        db.session.scalars(
            sa.select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.position)
        )
    )
    discounts = list(
        db.session.scalars(
            sa.select(OrderDiscount)
            .where(OrderDiscount.order_id == order.id)
            .order_by(OrderDiscount.code)
        )
    )
    events = list(
        db.session.scalars(
            sa.select(OrderEvent)
            .where(OrderEvent.order_id == order.id)
            .order_by(OrderEvent.created_at, OrderEvent.id)
        )
    )
    actor_ids = {event.actor_id for event in events if event.actor_id}
    actors = (
        {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(actor_ids)))}
        if actor_ids
        else {}
    )
    holds = list(
        db.session.scalars(
            sa.select(StockHold)
            .where(StockHold.order_id == order.id)
            .order_by(StockHold.created_at, StockHold.variant_id)
        )
    )
    detail = OrderDetail(
        order=order,
        lines=lines,
        discounts=discounts,
        events=events,
        actors=actors,
        holds=holds,
        skus={line.variant_id: line.sku for line in lines},
    )
    try:
        detail.address = order_address(order)
    except (KeyDestroyed, CiphertextInvalid):
        # The shop's keys were shredded, or the copy was tampered with: say so, do not fail.
        detail.address_unreadable = True
    return detail
