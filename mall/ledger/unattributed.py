"""Refunds made on the provider's dashboard that no single shop order could take.

``mall.orders.refunds.on_payment_refunded`` matches a dashboard refund to the one
order that can take it; when none or several can, it announces
``refund_unattributed`` and the ledger (``subscribers.on_refund_unattributed``)
posts ``Dr unattributed_refunds, Cr processor`` and keeps an ``UnattributedRefund``
row here. While a checkout has one open, its payouts wait.

The operator assigns it: to one order, or split over several of the checkout's
orders (a full refund of a three-shop checkout belongs to all three). Each part
is recorded on its order as a provider refund (``record_provider_refund`` with
the payment refund's id) and its ledger entry credits ``unattributed_refunds``
instead of ``processor`` (``sales.refund_lines``), so the queue's account comes
back to zero. Assignment happens once: a conditional UPDATE claims the row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from mall.db import utcnow
from mall.extensions import db
from mall.ledger.errors import LedgerError
from mall.ledger.models import UnattributedRefund
from mall.money import allocate, format_money
from mall.orders.errors import OrderError
from mall.orders.models import Order
from mall.orders.refunds import REFUNDABLE, record_provider_refund
from mall.pagination import Page, paginate
from tenants.audit import record_audit
from tenants.context import all_tenants, tenant_context


def remember(
    *, payment_refund_id: UUID, checkout_id: UUID, amount: int, provider_ref: str
) -> UnattributedRefund:
    """Keep the refund in the operator's queue, once per payment refund."""
    found = _by_payment_refund(payment_refund_id)
    if found is not None:
        return found
    row = UnattributedRefund(
        payment_refund_id=payment_refund_id,
        checkout_id=checkout_id,
        amount=amount,
        provider_ref=provider_ref[:255],
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError:  # kept meanwhile by another delivery of the same refund
        again = _by_payment_refund(payment_refund_id)
        if again is None:
            raise
        return again
    return row


def _by_payment_refund(payment_refund_id: UUID) -> UnattributedRefund | None:
    return db.session.scalar(
        sa.select(UnattributedRefund).where(
            UnattributedRefund.payment_refund_id == payment_refund_id
        )
    )


def is_unattributed(payment_refund_id: UUID | None) -> bool:
    """Whether this payment refund went through the queue (its entry credits the queue)."""
    return payment_refund_id is not None and _by_payment_refund(payment_refund_id) is not None


def get_unattributed(row_id: UUID | str | None) -> UnattributedRefund | None:
    """A queued refund by id (a platform row: the operator's pages)."""
    try:
        return db.session.get(UnattributedRefund, UUID(str(row_id)))
    except ValueError:
        return None


def open_refunds(*, page: int = 1, per_page: int = 25) -> Page:
    """The refunds waiting to be assigned, oldest first."""
    statement = (
        sa.select(UnattributedRefund)
        .where(UnattributedRefund.assigned_at.is_(None))
        .order_by(UnattributedRefund.created_at, UnattributedRefund.id)
    )
    return paginate(statement, page=page, per_page=per_page)


@dataclass(frozen=True)
class Candidate:
    """One order of the refund's checkout, and what is left to refund on it."""

    order: Order
    shop_name: str
    left: int


def candidates(row: UnattributedRefund) -> list[Candidate]:
    """The checkout's paid orders with what is left on each (number, shop, amounts only)."""
    return candidates_by_checkout([row.checkout_id]).get(row.checkout_id, [])


def candidates_by_checkout(checkout_ids: list[UUID]) -> dict[UUID, list[Candidate]]:
    """``candidates`` for a page of queued refunds, in one query whatever the page holds."""
    if not checkout_ids:
        return {}
    with all_tenants("ledger: the paid orders of queued unattributed refunds' checkouts"):
        orders = db.session.scalars(
            sa.select(Order)
            .where(Order.checkout_id.in_(set(checkout_ids)))
            .options(joinedload(Order.shop))
            .order_by(Order.number)
        ).all()
    found: dict[UUID, list[Candidate]] = {checkout_id: [] for checkout_id in checkout_ids}
    for order in orders:
        if order.payment_status in REFUNDABLE:
            left = order.total - order.refunded_amount
            found[order.checkout_id].append(Candidate(order, order.shop.name, left))
    return found


def suggested_split(row: UnattributedRefund, options: list[Candidate]) -> dict[UUID, int]:
    """The refund spread over the orders pro rata of what is left on each (a starting point)."""
    if not options:
        return {}
    parts = allocate(row.amount, [max(option.left, 0) for option in options])
    return {option.order.id: part for option, part in zip(options, parts, strict=True)}


def assign(
    row: UnattributedRefund,
    parts: Mapping[UUID, int],
    *,
    actor_id: UUID | None,
    ip_address: str | None = None,
) -> bool:
    """Record the refund on the chosen orders (order id -> amount), once; False if done before.

    The parts must add up to the refund and each order must belong to its checkout
    and have that much left. Raises LedgerError with what is wrong.
    """
    if row.assigned_at is not None:
        return False
    chosen = {order_id: amount for order_id, amount in parts.items() if amount}
    options = {option.order.id: option for option in candidates(row)}
    _check_parts(row, chosen, options)
    if not _claim(row, chosen, options, actor_id=actor_id):
        return False
    for order_id, amount in chosen.items():
        order = options[order_id].order
        with tenant_context(order.tenant_id):
            try:
                record_provider_refund(
                    order,
                    amount,
                    payment_refund_id=row.payment_refund_id,
                    provider_ref=row.provider_ref,
                )
            except OrderError as refused:
                raise LedgerError(f"{order.number}: {refused}") from None
    record_audit(
        "refund.assigned",
        actor_id=actor_id,
        ip_address=ip_address,
        target_type="unattributed_refund",
        target_id=row.id,
        details={"orders": [options[order_id].order.number for order_id in chosen]},
    )
    return True


def _check_parts(
    row: UnattributedRefund, chosen: Mapping[UUID, int], options: Mapping[UUID, Candidate]
) -> None:
    money = format_money
    if not chosen:
        raise LedgerError("Enter the amount each order takes.")
    for order_id, amount in chosen.items():
        option = options.get(order_id)
        if option is None:
            raise LedgerError("An order chosen is not a paid order of this refund's checkout.")
        if amount < 0:
            raise LedgerError("Enter amounts of zero or more.")
        if amount > option.left:
            raise LedgerError(
                f"{option.order.number} has {money(option.left)} left to refund, "
                f"not {money(amount)}."
            )
    total = sum(chosen.values())
    if total != row.amount:
        raise LedgerError(
            f"The amounts add up to {money(total)}: they must add up to the refund, "
            f"{money(row.amount)}."
        )


def _claim(
    row: UnattributedRefund,
    chosen: Mapping[UUID, int],
    options: Mapping[UUID, Candidate],
    *,
    actor_id: UUID | None,
) -> bool:
    values: dict[str, object] = {"assigned_at": utcnow(), "assigned_by_id": actor_id}
    if len(chosen) == 1:  # split over several orders: their refunds name this payment refund
        order = options[next(iter(chosen))].order
        values.update(assigned_order_id=order.id, assigned_shop_id=order.tenant_id)
    claimed = db.session.execute(
        sa.update(UnattributedRefund)
        .where(UnattributedRefund.id == row.id, UnattributedRefund.assigned_at.is_(None))
        .values(**values, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(row)
    return claimed == 1
