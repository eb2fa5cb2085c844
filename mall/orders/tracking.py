"""The customer's tracking link: ``/orders/<token>``, readable without signing in.

The token is signed with the app's secret (itsdangerous, salt ``TRACKING_SALT``)
and carries three things: the shop's id, the order's id and the order's
``tracking_version``; no personal data. It does not expire. A link that leaked
is made useless by the shop's staff ("New tracking link" on the order page): the
version goes up, every older link answers 404 and the new one is shown. A token
that does not verify, names an unknown order or an old version is 404 too, so a
page never tells which of these it was.

The page shows what the customer needs and nothing the shop keeps for itself:
the status, the items, the parcels with their carriers' tracking links, refunds,
and a timeline written here from each event's kind (an event's own message may
hold a staff note or a cancellation reason; staff names are never shown).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from flask import Flask, current_app
from itsdangerous import BadSignature, URLSafeSerializer

from mall.extensions import db
from mall.orders.errors import OrderError
from mall.orders.models import Order, OrderEvent, OrderLine, OrderRefund, OrderStatus
from mall.orders.shipment_queries import ShipmentRow, order_lines, shipments_of, shippable_lines
from mall.orders.status import holds_of
from mall.urls import external_url
from tenants.context import tenant_context
from tenants.guard import scoped_get
from tenants.keys import reveal
from tenants.models import Tenant, TenantStatus

TRACKING_SALT = "mall.orders.tracking"

# What the customer reads for each kind of event; kinds not listed (disputes, evidence,
# anything internal) stay off the customer's timeline.
CUSTOMER_STATUS: dict[OrderStatus, str] = {
    OrderStatus.AWAITING_PAYMENT: "Awaiting payment",
    OrderStatus.PAID: "Paid: being prepared",
    OrderStatus.PAID_OUT_OF_STOCK: "Sold out: refunded",
    OrderStatus.PARTIALLY_FULFILLED: "Partly shipped",
    OrderStatus.FULFILLED: "Shipped",
    OrderStatus.DELIVERED: "Delivered",
    OrderStatus.CANCELLED: "Cancelled",
    OrderStatus.REFUNDED: "Refunded",
}
CUSTOMER_EVENTS: dict[str, str] = {
    "placed": "Order placed.",
    "paid": "Payment received.",
    "paid_short": "Your payment arrived after the items had sold out: the order is refunded.",
    "shipped": "A parcel was sent.",
    "fulfilled": "Everything in the order has been sent or is ready.",
    "delivered": "Delivered.",
    "cancelled": "The order was cancelled.",
    "refunded": "A refund was made.",
}


class TrackingLinkInvalid(OrderError):
    """A tracking token that does not verify or names no current order (shown as a 404)."""


@dataclass(frozen=True)
class TimelineEntry:
    """One step of the order as the customer sees it."""

    at: datetime
    text: str


@dataclass(frozen=True)
class TrackingPage:
    """Everything the tracking page shows, loaded in the shop's context."""

    shop: Tenant
    order: Order
    status_label: str
    lines: list[OrderLine]
    shipments: list[ShipmentRow]
    still_to_ship: list[Any]
    refunds: list[OrderRefund]
    timeline: list[TimelineEntry]
    contact_email: str | None
    # (label, URL) of what later domains offer for this order (its downloads…): page_links.
    links: list[tuple[str, str]] = field(default_factory=list)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=TRACKING_SALT)


def tracking_token(order: Order) -> str:
    """The signed token of the order's current tracking link (ids and a version only)."""
    return _serializer().dumps(
        {"t": order.tenant_id.hex, "o": order.id.hex, "v": order.tracking_version}
    )


def tracking_link(order: Order) -> str:
    """The order's tracking page as an absolute URL on the mall (for emails and staff)."""
    return external_url("tracking.order", token=tracking_token(order))


def read_tracking_token(token: str) -> tuple[UUID, UUID, int]:
    """(shop id, order id, version) of a well-signed token; TrackingLinkInvalid otherwise."""
    try:
        payload = _serializer().loads(token)
        shop_id, order_id = UUID(hex=str(payload["t"])), UUID(hex=str(payload["o"]))
        version = payload["v"]
    except (BadSignature, ValueError, KeyError, TypeError):
        raise TrackingLinkInvalid("This tracking link is not valid.") from None
    if not isinstance(version, int) or isinstance(version, bool):
        raise TrackingLinkInvalid("This tracking link is not valid.")
    return shop_id, order_id, version


def find_tracked_order(token: str) -> Order | None:
    """The order a tracking token names, if the link is still its current one; else None.

    A tampered token, an unknown shop or order, a closed shop and a link replaced
    by a newer one all give None. Work with the order inside
    ``tenant_context(order.tenant_id)``.
    """
    try:
        shop_id, order_id, version = read_tracking_token(token)
    except TrackingLinkInvalid:
        return None
    shop = db.session.get(Tenant, shop_id)
    if shop is None or shop.status in (TenantStatus.PENDING, TenantStatus.CLOSED):
        return None
    with tenant_context(shop):
        order = scoped_get(Order, order_id)
    if order is None or order.tracking_version != version:
        return None
    return order


def new_tracking_link(order: Order, *, seen: int, actor_id: UUID | None) -> bool:
    """Replace the order's tracking link; the old one stops working at once.

    ``seen`` is the version the staff member's page showed: one conditional
    UPDATE raises it only from there, so a double click replaces the link once
    (False the second time). The timeline records it (for staff only).
    """
    changed = db.session.execute(
        sa.update(Order)
        .where(
            Order.tenant_id == order.tenant_id,
            Order.id == order.id,
            Order.tracking_version == seen,
        )
        .values(tracking_version=Order.tracking_version + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(order, ["tracking_version"])
    if changed != 1:
        return False
    db.session.add(
        OrderEvent(
            tenant_id=order.tenant_id,
            order_id=order.id,
            kind="tracking_link",
            message="A new tracking link replaced the old one.",
            actor_id=actor_id,
        )
    )
    db.session.flush()
    return True


PAGE_LINKS_KEY = "mall.orders.tracking_page_links"
PageLink = Callable[[Order], "tuple[str, str] | None"]


def add_page_link(app: Flask, func: PageLink) -> None:
    """Let a domain that comes later offer a link on the tracking page: ``func(order)`` returns
    (label, URL) or None, in the order's shop context (delivery: the order's downloads)."""
    links = app.extensions.setdefault(PAGE_LINKS_KEY, [])
    if func not in links:
        links.append(func)


def page_links(order: Order) -> list[tuple[str, str]]:
    """The links the registered domains offer for ``order``."""
    offered = (func(order) for func in current_app.extensions.get(PAGE_LINKS_KEY, []))
    return [link for link in offered if link is not None]


def tracking_page(order: Order) -> TrackingPage:
    """What the customer's tracking page shows (call in the order's shop context).

    Five queries whatever the order's size: lines, shipments, their items,
    refunds and events (the shop row is already loaded with the order's scope),
    and one per domain that may hold the order (``status.add_fulfilment_hold``).
    """
    shop = db.session.get(Tenant, order.tenant_id)
    lines = order_lines(order)
    events = db.session.scalars(
        sa.select(OrderEvent)
        .where(OrderEvent.order_id == order.id)
        .order_by(OrderEvent.created_at, OrderEvent.id)
    )
    refunds = list(
        db.session.scalars(
            sa.select(OrderRefund)
            .where(OrderRefund.order_id == order.id)
            .order_by(OrderRefund.created_at)
        )
    )
    timeline = [
        TimelineEntry(event.created_at, CUSTOMER_EVENTS[event.kind])
        for event in events
        if event.kind in CUSTOMER_EVENTS
    ]
    contact = reveal(shop, "contact_email") if shop.contact_email_ct else None
    return TrackingPage(
        shop=shop,
        order=order,
        # A held order says why (delivery: "Waiting for a licence key").
        status_label=holds_of([order]).get(order.id) or customer_status(order),
        lines=lines,
        shipments=shipments_of(order, lines),
        still_to_ship=shippable_lines(order, lines)
        if order.status in (OrderStatus.PAID, OrderStatus.PARTIALLY_FULFILLED)
        else [],
        refunds=refunds,
        timeline=timeline,
        contact_email=contact,
        links=page_links(order),
    )


def customer_status(order: Order) -> str:
    """The order's status in the customer's words."""
    if order.status is OrderStatus.FULFILLED and not order.needs_shipping:
        return "Complete"
    return CUSTOMER_STATUS.get(order.status, str(order.status))
