"""The documents of orders paid before invoices existed, issued after the fact.

Invoices are issued on ``order_paid`` and credit notes on ``order_refunded``; a shop
that sold before that shipped has paid orders without an invoice, and refunds of them
without a credit note (a refund of an order with no invoice issues none:
``issue_credit_note``). ``backfill_invoices`` walks the shop's paid orders without one
in order of payment (keyset batches on ``paid_at``, id) and issues each through
``issue_invoice``, so the numbers follow the shop's last number without a gap, in order
of payment; ``backfill_credit_notes`` then walks the refunds without a credit note in
the order they were made and issues each (its invoice now exists), so the invoice less
its credit notes is again what the customer kept. Documents are issued today and keyed
by what they are for: a second run finds them and issues nothing.

Orders "paid — out of stock" were never announced as paid and are refunded in full:
they get neither document, as today. An order already anonymised after the retention
period gets its documents without the buyer's details, as retention leaves the others.
The CLI (``flask mall backfill``, ``mall.crm.backfill_cli``) commits after each batch,
so a shop's counter row is never locked for long while its customers pay.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from mall.extensions import db
from mall.invoices.models import DocumentKind, Invoice
from mall.invoices.services import issue_credit_note, issue_invoice
from mall.orders.models import Order, OrderRefund, OrderStatus
from mall.pagination import Position
from tenants.keys import ERASED, tenant_scope
from tenants.models import Tenant

BATCH = 200


@dataclass(frozen=True)
class BackfillBatch:
    """One batch: rows walked, documents issued, and where the next batch starts (None: done)."""

    walked: int
    issued: int
    after: Position | None


def _announced_paid() -> sa.ColumnElement[bool]:
    # "Paid — out of stock" was never announced as paid: no invoice, now as then.
    return sa.and_(Order.paid_at.is_not(None), Order.status != OrderStatus.PAID_OUT_OF_STOCK)


def _has(kind: DocumentKind, source: sa.ColumnElement) -> sa.Exists:
    return (
        sa.exists()
        .where(Invoice.kind == kind, Invoice.source_id == source)
        .where(Invoice.tenant_id == Order.tenant_id)
    )


def _orders_without_invoice() -> sa.Select:
    return sa.select(Order).where(_announced_paid(), ~_has(DocumentKind.INVOICE, Order.id))


def _refunds_without_credit_note() -> sa.Select:
    return (
        sa.select(OrderRefund, Order)
        .join(
            Order,
            sa.and_(Order.tenant_id == OrderRefund.tenant_id, Order.id == OrderRefund.order_id),
        )
        .where(_announced_paid(), ~_has(DocumentKind.CREDIT_NOTE, OrderRefund.id))
    )


def _count(statement: sa.Select) -> int:
    counted = sa.select(sa.func.count()).select_from(statement.order_by(None).subquery())
    return int(db.session.scalar(counted) or 0)


def document_backlog() -> int:
    """How many invoices and credit notes the shop in context is missing (for a progress bar)."""
    return _count(_orders_without_invoice()) + _count(_refunds_without_credit_note())


def _after(
    position: Position | None, moment: sa.ColumnElement, row_id: sa.ColumnElement
) -> sa.ColumnElement[bool]:
    if position is None:
        return sa.true()
    bound = (sa.literal(position[0], moment.type), sa.literal(position[1], row_id.type))
    return sa.tuple_(moment, row_id) > sa.tuple_(*bound)


def _erased(shop: Tenant) -> bytes:
    """The blind index of an order retention removed the person from (its email "[erased]")."""
    return Order.email.lookup(ERASED, scope=tenant_scope(shop.id))


def backfill_invoices(
    shop: Tenant, *, after: Position | None = None, size: int | None = None
) -> BackfillBatch:
    """Issue the missing invoices of the shop's next ``size`` (``BATCH``) paid orders, in order
    of payment.

    Call in the shop's context; flushes only (commit after each batch).
    """
    size = size or BATCH
    orders = db.session.scalars(
        _orders_without_invoice()
        .where(_after(after, Order.paid_at, Order.id))
        .order_by(Order.paid_at, Order.id)
        .limit(size)
    ).all()
    issued, erased = 0, _erased(shop)
    for order in orders:
        invoice, made = issue_invoice(order)
        if made:
            if order.email_index == erased:  # anonymised: its documents carry no buyer either
                invoice.buyer_ct = None
            issued += 1
    db.session.flush()
    last = orders[-1] if len(orders) == size else None
    return BackfillBatch(len(orders), issued, (last.paid_at, last.id) if last else None)


def backfill_credit_notes(
    shop: Tenant, *, after: Position | None = None, size: int | None = None
) -> BackfillBatch:
    """Issue the missing credit notes of the shop's next ``size`` (``BATCH``) refunds, in the
    order they were made.

    Run after ``backfill_invoices``: a refund of an order with no invoice gets none.
    Call in the shop's context; flushes only (commit after each batch).
    """
    size = size or BATCH
    rows = db.session.execute(
        _refunds_without_credit_note()
        .where(_after(after, OrderRefund.created_at, OrderRefund.id))
        .order_by(OrderRefund.created_at, OrderRefund.id)
        .limit(size)
    ).all()
    issued, erased = 0, _erased(shop)
    for refund, order in rows:
        note, made = issue_credit_note(order, refund)
        if note is not None and made:
            if order.email_index == erased:
                note.buyer_ct = None
            issued += 1
    db.session.flush()
    last = rows[-1][0] if len(rows) == size else None
    return BackfillBatch(len(rows), issued, (last.created_at, last.id) if last else None)
