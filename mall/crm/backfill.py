"""The customers of orders paid before the CRM existed, recorded after the fact.

The CRM records a customer when their order is paid (``order_paid``); a shop that sold
before that shipped has paid orders whose customer has no row, or a row whose totals
miss those orders. ``backfill_customers`` walks the shop's paid orders in order of
payment (keyset batches on ``paid_at``, id) and, for each email of a batch, compares
the customer row with what ``record_order`` would make of the shop's paid orders of
that email; only a missing or different one is (re)recorded, through ``record_order``
itself. A second run finds every row current and changes nothing.

Never recorded again: a person whose data was erased. An order whose email retention
replaced with "[erased]" is skipped, and so is one whose checkout lost the platform's
copy of the email (the account was deleted, or the retention period passed): deleting
an account deletes every shop's record of the person, and a backfill must not bring it
back from the order copies the shops keep for their tax records.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from mall.checkout.models import Checkout
from mall.crm.customers import find_customer, record_order
from mall.crm.models import CrmCustomer
from mall.extensions import db
from mall.orders.models import Order, OrderStatus
from mall.pagination import Position
from tenants.keys import ERASED, CiphertextInvalid, KeyDestroyed, tenant_scope
from tenants.models import Tenant

BATCH = 200


@dataclass(frozen=True)
class CustomerBatch:
    """One batch: orders walked, customer rows added or corrected, where the next starts."""

    walked: int
    recorded: int
    after: Position | None


def _recordable(shop: Tenant) -> sa.Select:
    erased = Order.email.lookup(ERASED, scope=tenant_scope(shop.id))
    return (
        sa.select(Order)
        .join(Checkout, Checkout.id == Order.checkout_id)
        .where(
            Order.paid_at.is_not(None),
            # "Paid — out of stock" was never announced as paid: it records nobody, as today.
            Order.status != OrderStatus.PAID_OUT_OF_STOCK,
            Order.email_index != erased,
            Checkout.email_ct.is_not(None),
        )
    )


def customer_backlog(shop: Tenant) -> int:
    """How many paid orders the walk reads in the shop in context (for a progress bar)."""
    counted = sa.select(sa.func.count()).select_from(_recordable(shop).subquery())
    return int(db.session.scalar(counted) or 0)


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)  # SQLite hands back naive UTC


def _is_current(customer: CrmCustomer | None, expected: tuple, currency: str) -> bool:
    if customer is None:
        return False
    count, value, last = expected
    return (
        customer.orders_count == int(count)
        and customer.lifetime_value == int(value)
        and customer.currency == currency
        and _utc(customer.last_order_at) == _utc(last)
    )


def _expected(indices: list[bytes]) -> dict[bytes, tuple]:
    """What ``record_order`` computes (count, value, last paid) for these emails: one query."""
    if not indices:
        return {}
    rows = db.session.execute(
        sa.select(
            Order.email_index,
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(Order.total - Order.refunded_amount), 0),
            sa.func.max(Order.paid_at),
        )
        .where(Order.email_index.in_(indices), Order.paid_at.is_not(None))
        .group_by(Order.email_index)
    )
    return {index: (count, value, last) for index, count, value, last in rows}


def backfill_customers(
    shop: Tenant, *, after: Position | None = None, size: int | None = None
) -> CustomerBatch:
    """Add or correct the customer rows of the emails of the shop's next ``size`` (``BATCH``)
    paid orders.

    Call in the shop's context; flushes only (commit after each batch).
    """
    size = size or BATCH
    query = _recordable(shop)
    if after is not None:
        bound = (sa.literal(after[0], Order.paid_at.type), sa.literal(after[1], Order.id.type))
        query = query.where(sa.tuple_(Order.paid_at, Order.id) > sa.tuple_(*bound))
    orders = db.session.scalars(query.order_by(Order.paid_at, Order.id).limit(size)).all()
    first: dict[bytes, Order] = {}
    for order in orders:
        first.setdefault(order.email_index, order)
    expected = _expected(list(first))
    recorded = 0
    for index, order in first.items():
        try:
            customer = find_customer(order.email)
        except (KeyDestroyed, CiphertextInvalid):
            continue  # an unreadable email records nobody
        if not _is_current(customer, expected[index], order.currency):
            record_order(order)
            recorded += 1
    last = orders[-1] if len(orders) == size else None
    return CustomerBatch(len(orders), recorded, (last.paid_at, last.id) if last else None)
