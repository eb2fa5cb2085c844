"""The shop's orders as CSV: every order matching the list's filters, streamed in batches.

Rows are read in keyset batches (``placed_at``, id: the list's order), so memory
and each query stay flat however many orders match; each batch costs two
queries (the orders, and their item counts) and is one call (``csv_batch``), so
the streaming view runs each in a context and session of its own. Every cell goes through
``mall.csvsafe`` so nothing a customer typed runs as a formula in a spreadsheet.
The customer's email and country are opened here, in the shop's context: the
route that serves this is the shop's back office, for staff with ``orders.view``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import sqlalchemy as sa

from mall.csvsafe import writer
from mall.extensions import db
from mall.money import to_decimal_text
from mall.orders.models import Order
from mall.orders.queries import OrderSearch, item_counts, search_orders
from mall.orders.services import order_address
from tenants.keys import CiphertextInvalid, KeyDestroyed, reveal

BATCH = 500
COLUMNS = (
    "number",
    "placed_at",
    "status",
    "payment_status",
    "payment_method",
    "items",
    "subtotal",
    "discounts",
    "shipping",
    "tax",
    "total",
    "refunded",
    "currency",
    "email",
    "shipping_country",
)


@dataclass(frozen=True)
class Cursor:
    """Where the last batch ended (the list's order): the next starts after it."""

    placed_at: datetime
    order_id: UUID


def order_batch(
    search: OrderSearch, *, after: Cursor | None = None, size: int | None = None
) -> tuple[list[Order], Cursor | None]:
    """The next ``size`` (``BATCH``) matching orders after ``after``, newest first, and where
    the one after them starts (None: these were the last). Keyset: no OFFSET, so the
    last batch costs what the first did."""
    size = size or BATCH
    query = search_orders(search)
    if after is not None:
        query = query.where(_before(after))
    batch = list(db.session.scalars(query.limit(size)))
    if len(batch) < size:
        return batch, None
    return batch, Cursor(batch[-1].placed_at, batch[-1].id)


def _before(last: Cursor) -> sa.ColumnElement[bool]:
    """Rows after ``last`` in the newest-first order; the first term lets the index seek."""
    return sa.and_(
        Order.placed_at <= last.placed_at,
        sa.or_(
            Order.placed_at < last.placed_at,
            sa.and_(Order.placed_at == last.placed_at, Order.id < last.order_id),
        ),
    )


def _country(order: Order) -> str:
    try:
        address = order_address(order) or order_address(order, "billing")
    except (KeyDestroyed, CiphertextInvalid):
        return ""
    return address.country if address else ""


def order_row(order: Order, items: int) -> list[object]:
    """One order's cells, in ``COLUMNS`` order (amounts as decimals of its currency)."""

    def money(minor: int) -> str:
        return to_decimal_text(minor, code=order.currency)

    return [
        order.number,
        order.placed_at.isoformat(timespec="seconds"),
        order.status.value,
        order.payment_status.value,
        order.payment_method,
        items,
        money(order.subtotal),
        money(order.discount_shop + order.discount_platform),
        money(order.shipping_amount),
        money(order.tax),
        money(order.total),
        money(order.refunded_amount),
        order.currency,
        reveal(order, "email") or "",
        _country(order),
    ]


def header() -> str:
    """The CSV file's first line."""
    buffer = io.StringIO()
    writer(buffer).writerow(COLUMNS)
    return buffer.getvalue()


def csv_batch(search: OrderSearch, *, after: Cursor | None = None) -> tuple[str, Cursor | None]:
    """The CSV lines of the next batch of orders, and where the next batch starts (None: done).

    Two queries a batch (the orders, their item counts). Each batch is one call, so a
    caller can run each in a short context and session of its own.
    """
    batch, cursor = order_batch(search, after=after)
    counts = item_counts([order.id for order in batch])
    buffer = io.StringIO()
    out = writer(buffer)
    for order in batch:
        out.writerow(order_row(order, counts.get(order.id, 0)))
    return buffer.getvalue(), cursor
