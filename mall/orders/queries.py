"""Reads for the shop's order pages: the order list and one order with its timeline.

Each returns what one page shows in a fixed number of queries whatever the
number of rows; they run in the shop's tenant context (the guard and RLS keep
them to that shop).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
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
    PaymentStatus,
    StockHold,
)
from mall.orders.services import order_address
from mall.pagination import KeysetPage, Position, keyset_paginate
from tenants.context import TenantContextRequired, current_tenant_id
from tenants.keys import CiphertextInvalid, KeyDestroyed, reveal, tenant_scope

STATUS_LABELS = {
    OrderStatus.AWAITING_PAYMENT: "Awaiting payment",
    OrderStatus.PAID: "Paid",
    OrderStatus.PAID_OUT_OF_STOCK: "Paid — out of stock",
    OrderStatus.PARTIALLY_FULFILLED: "Partially fulfilled",
    OrderStatus.FULFILLED: "Fulfilled",
    OrderStatus.DELIVERED: "Delivered",
    OrderStatus.CANCELLED: "Cancelled",
    OrderStatus.REFUNDED: "Refunded",
}


@dataclass(frozen=True)
class OrderSearch:
    """What the shop looks for in its orders; every field empty means every order.

    ``placed_from`` and ``placed_to`` are days in UTC, both included. ``number`` is
    a whole order number in any case, or its digits alone (``prefix`` is then the
    shop's, ``numbers.order_prefix``). ``customer`` is the blind index of a
    customer's email (``customer_token``): the email itself is never carried.
    """

    status: OrderStatus | None = None
    payment_status: PaymentStatus | None = None
    placed_from: date | None = None
    placed_to: date | None = None
    number: str = ""
    prefix: str = ""
    customer: bytes | None = None
    # A sales rep's list: web orders and the orders they entered, not a colleague's.
    rep_id: UUID | None = None


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def customer_token(email: str) -> str:
    """The blind index of ``email`` in the shop in context, as hex: what a link may carry.

    Emails are sealed; orders are found by this HMAC under the shop's own index key,
    so neither the address nor anything another shop could match ends up in a URL.
    """
    tenant_id = current_tenant_id()
    if tenant_id is None:
        raise TenantContextRequired("orders searched by email outside a tenant context")
    return Order.email.lookup(email, scope=tenant_scope(tenant_id)).hex()


def _number_criterion(text: str, prefix: str) -> sa.ColumnElement[bool]:
    # An equality on ``uq_orders_tenant_id_number``: a pattern (``LIKE 'ACME-10%'``) can use
    # no index under row-level security (``LIKE`` is not leakproof), so it would read every
    # order of the shop. Numbers are made in capitals, so any case finds them.
    wanted = text.upper()
    if wanted.isdigit():  # "1042": the number after this shop's prefix (``ACME-1042``)
        wanted = f"{prefix}-{wanted}"
    return Order.number == wanted


def search_orders(search: OrderSearch) -> sa.Select[tuple[Order]]:
    """The orders matching ``search``, newest first (``placed_at``, then id: a total order).

    The sort is served by ``ix_orders_tenant_id_placed_at_id`` (with a status,
    ``ix_orders_tenant_id_status_placed_at``); a customer's orders are found through
    ``ix_orders_tenant_id_email_index``, a number through ``uq_orders_tenant_id_number``.
    """
    query = sa.select(Order)
    if search.status is not None:
        query = query.where(Order.status == search.status)
    if search.payment_status is not None:
        query = query.where(Order.payment_status == search.payment_status)
    if search.placed_from is not None:
        query = query.where(Order.placed_at >= _day_start(search.placed_from))
    if search.placed_to is not None:
        query = query.where(Order.placed_at < _day_start(search.placed_to + timedelta(days=1)))
    if search.number:
        query = query.where(_number_criterion(search.number, search.prefix))
    if search.customer is not None:
        query = query.where(Order.email_index == search.customer)
    if search.rep_id is not None:
        query = query.where(
            sa.or_(Order.entered_by_id.is_(None), Order.entered_by_id == search.rep_id)
        )
    return query.order_by(Order.placed_at.desc(), Order.id.desc())


@dataclass(frozen=True)
class OrderList:
    """One page of orders, and the number of items (units) in each."""

    page: KeysetPage
    items: dict[UUID, int]


def visible_to_rep(order: Order, rep_id: UUID | None) -> bool:
    """False for an order another member entered, shown to a sales rep (``rep_id``)."""
    return rep_id is None or order.entered_by_id in (None, rep_id)


def item_counts(order_ids: list[UUID]) -> dict[UUID, int]:
    """Units per order for these orders, in one grouped query (not one per order)."""
    if not order_ids:
        return {}
    rows = db.session.execute(
        sa.select(OrderLine.order_id, sa.func.sum(OrderLine.quantity))
        .where(OrderLine.order_id.in_(order_ids))
        .group_by(OrderLine.order_id)
    )
    return {order_id: int(total or 0) for order_id, total in rows}


def order_list(
    search: OrderSearch | None = None,
    *,
    older_than: Position | None = None,
    newer_than: Position | None = None,
    per_page: int = 25,
) -> OrderList:
    """One page of the shop's orders matching ``search``: four queries, wherever the page is.

    Pages go by position (``older_than`` / ``newer_than`` an order's ``placed_at`` and id),
    so page 2,000 costs what page 1 does, and the count stops at ``COUNT_CAP``.
    """
    found = keyset_paginate(
        search_orders(search or OrderSearch()).order_by(None),
        moment=Order.placed_at,
        row_id=Order.id,
        older_than=older_than,
        newer_than=newer_than,
        per_page=per_page,
    )
    return OrderList(page=found, items=item_counts([order.id for order in found.items]))


CUSTOMER_EVENTS = frozenset({"placed"})  # without an actor: the customer did it, not the system


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
    billing: PostalAddress | None = None
    address_unreadable: bool = False

    def who(self, event: OrderEvent) -> str:
        """Who did ``event``: the member's name (or email), the customer, or the system."""
        actor = self.actors.get(event.actor_id) if event.actor_id else None
        if actor is not None:
            return reveal(actor, "name") or reveal(actor, "email") or "a member"
        if event.actor_id is None and event.kind in CUSTOMER_EVENTS:
            return "the customer"
        return "the system" if event.actor_id is None else "a former member"

    @property
    def units_shipped(self) -> int:
        return sum(line.quantity_shipped for line in self.lines)

    @property
    def cancellable(self) -> bool:
        """Unpaid, or paid with nothing shipped yet (then the cancel refunds it in full)."""
        status = self.order.status
        if status is OrderStatus.AWAITING_PAYMENT:
            return True
        return status is OrderStatus.PAID and self.units_shipped == 0

    @property
    def deliverable(self) -> bool:
        return self.order.status is OrderStatus.FULFILLED


def order_detail(order: Order) -> OrderDetail:
    """The order's lines, discounts, timeline (with who acted), holds and addresses.

    Six queries whatever the number of lines or events: the actors of the
    timeline are read in one query, not one per event.
    """
    # Through the relationship (by position), so the page's sections that read
    # ``order.lines`` again find them loaded: one query, not two.
    lines = list(order.lines)
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
        actors=_actors({event.actor_id for event in events if event.actor_id}),
        holds=holds,
        skus={line.variant_id: line.sku for line in lines},
    )
    try:
        detail.address = order_address(order)
        detail.billing = order_address(order, "billing")
    except (KeyDestroyed, CiphertextInvalid):
        # The shop's keys were shredded, or the copy was tampered with: say so, do not fail.
        detail.address_unreadable = True
    return detail


def _actors(ids: set[UUID]) -> dict[UUID, User]:
    if not ids:
        return {}
    return {user.id: user for user in db.session.scalars(sa.select(User).where(User.id.in_(ids)))}
