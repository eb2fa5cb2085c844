"""The signed-in customer's orders across every shop (``/account/orders``).

One row per checkout the customer placed, newest first, with its shop orders
(one per shop). The checkouts are the customer's own (found by account id); their
orders live in each shop's rows, so they are read under ``all_tenants`` by the
checkouts' ids. Five queries a page whatever the number of checkouts, orders and
shops: the count, the checkouts, their orders, the shops and the invoices.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from uuid import UUID

import sqlalchemy as sa
from flask import Flask, current_app, url_for

from mall.checkout.models import Checkout, CheckoutStatus
from mall.extensions import db
from mall.invoices.models import DocumentKind, Invoice
from mall.orders.models import Order
from mall.orders.tracking import customer_status, tracking_token
from mall.pagination import KeysetPage, Position, keyset_paginate
from tenants.context import all_tenants
from tenants.models import Tenant

PER_PAGE = 10
ORDER_LINKS_KEY = "mall.accounts.order_links"
OrderLink = Callable[[Order, str], "tuple[str, str] | None"]


@dataclass(frozen=True)
class ShopOrderRow:
    """One shop's order of a checkout as the customer's list shows it."""

    order: Order
    shop_name: str
    status: str
    tracking_url: str
    invoice_url: str | None
    # (label, URL) of what later domains offer for this order (returns…): add_order_link.
    links: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class CheckoutRow:
    """One checkout and its shop orders."""

    checkout: Checkout
    orders: list[ShopOrderRow] = field(default_factory=list)


def add_order_link(app: Flask, func: OrderLink) -> None:
    """Let a domain that comes later offer a button on each order of the list:
    ``func(order, tracking token)`` returns (label, URL) or None from the order's row alone
    (no query: the list's query count stays flat)."""
    links = app.extensions.setdefault(ORDER_LINKS_KEY, [])
    if func not in links:
        links.append(func)


def _order_links(order: Order, token: str) -> list[tuple[str, str]]:
    offered = (func(order, token) for func in current_app.extensions.get(ORDER_LINKS_KEY, []))
    return [link for link in offered if link is not None]


def customer_orders(
    user_id: UUID,
    *,
    older_than: Position | None = None,
    newer_than: Position | None = None,
    per_page: int = PER_PAGE,
) -> tuple[KeysetPage, list[CheckoutRow]]:
    """The customer's checkouts newest first (a keyset page) with each one's shop orders."""
    placed = sa.select(Checkout).where(
        Checkout.user_id == user_id,
        Checkout.submitted_at.is_not(None),
        Checkout.status != CheckoutStatus.OPEN,
    )
    page = keyset_paginate(
        placed,
        moment=Checkout.submitted_at,
        row_id=Checkout.id,
        older_than=older_than,
        newer_than=newer_than,
        per_page=per_page,
    )
    rows = [CheckoutRow(checkout) for checkout in page.items]
    by_checkout = {row.checkout.id: row for row in rows}
    if not by_checkout:
        return page, rows
    with all_tenants("account: the signed-in customer's own orders, by their checkouts' ids"):
        orders = db.session.scalars(
            sa.select(Order)
            .where(Order.checkout_id.in_(by_checkout), Order.user_id == user_id)
            .order_by(Order.checkout_id, Order.placed_at, Order.id)
        ).all()
        invoices = _invoices_of(orders)
    shops = _shop_names({order.tenant_id for order in orders})
    for order in orders:
        token = tracking_token(order)
        invoice = invoices.get((order.tenant_id, order.id))
        by_checkout[order.checkout_id].orders.append(
            ShopOrderRow(
                order=order,
                shop_name=shops.get(order.tenant_id, ""),
                status=customer_status(order),
                tracking_url=url_for("tracking.order", token=token),
                invoice_url=url_for("invoices_public.document", token=token, document_id=invoice)
                if invoice
                else None,
                links=_order_links(order, token),
            )
        )
    return page, rows


def _invoices_of(orders: list[Order]) -> dict[tuple[UUID, UUID], UUID]:
    """(shop id, order id) -> the order's invoice id, for the orders that have one."""
    if not orders:
        return {}
    rows = db.session.execute(
        sa.select(Invoice.tenant_id, Invoice.order_id, Invoice.id).where(
            Invoice.kind == DocumentKind.INVOICE,
            Invoice.tenant_id.in_({order.tenant_id for order in orders}),
            Invoice.order_id.in_([order.id for order in orders]),
        )
    )
    return {(tenant_id, order_id): invoice_id for tenant_id, order_id, invoice_id in rows}


def _shop_names(shop_ids: set[UUID]) -> dict[UUID, str]:
    if not shop_ids:
        return {}
    rows = db.session.execute(sa.select(Tenant.id, Tenant.name).where(Tenant.id.in_(shop_ids)))
    return {shop_id: name for shop_id, name in rows}
