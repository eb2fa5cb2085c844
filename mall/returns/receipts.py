"""What receiving a return refunds when the shop already refunded some of its units.

The shop may refund units from the order page before the goods come back. The
return's units are then capped per line at what is left to refund (units and
amount), so the return still closes: only the rest is refunded, nothing when
nothing is left. The units already refunded came back all the same: restocking
puts them back in stock unless their earlier refund already did.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

import sqlalchemy as sa

from mall.catalog.models import StockReason, Variant
from mall.catalog.stock import adjust_stock
from mall.extensions import db
from mall.orders.models import Order, OrderLine, OrderRefund, OrderRefundLine, PaymentStatus
from mall.orders.refunds import amount_left, units_left
from mall.returns.models import ReturnRequest

Units = tuple[tuple[OrderLine, int], ...]


@dataclass(frozen=True)
class Receipt:
    """What receiving a return refunds now and what had been refunded before it."""

    refund_now: dict[UUID, int]  # order line id -> units refunded by the return
    already: Units  # (line, units of the return refunded before it, from the order page)


@dataclass(frozen=True)
class Received:
    """A received return: its refund (None: nothing was left to refund) and the units of it
    the shop had already refunded from the order page."""

    refund: OrderRefund | None
    already: Units


def plan_receipt(order: Order, request: ReturnRequest, lines: Iterable[OrderLine]) -> Receipt:
    """Cap each line of the return at what is left to refund of it (``lines``: fresh rows)."""
    by_id = {line.id: line for line in lines}
    nothing_left = order.payment_status is PaymentStatus.REFUNDED
    refund_now: dict[UUID, int] = {}
    already: list[tuple[OrderLine, int]] = []
    for item in request.lines:
        line = by_id[item.order_line_id]
        came_back = line.quantity_shipped - line.quantity_returned
        units = min(item.quantity, units_left(line), came_back)
        if nothing_left or amount_left(line) <= 0:
            units = 0
        if units:
            refund_now[line.id] = units
        if item.quantity > units:
            already.append((line, item.quantity - units))
    return Receipt(refund_now, tuple(already))


def _refunded_unstocked(order: Order) -> dict[UUID, int]:
    """Units per line refunded without being put back in stock (one query)."""
    rows = db.session.execute(
        sa.select(OrderRefundLine.order_line_id, sa.func.sum(OrderRefundLine.quantity))
        .join(
            OrderRefund,
            sa.and_(
                OrderRefund.tenant_id == OrderRefundLine.tenant_id,
                OrderRefund.id == OrderRefundLine.refund_id,
            ),
        )
        .where(OrderRefund.order_id == order.id, OrderRefund.restocked.is_(False))
        .group_by(OrderRefundLine.order_line_id)
    )
    return {line_id: int(units or 0) for line_id, units in rows}


def restock_already_refunded(order: Order, already: Units, *, actor_id: UUID | None) -> None:
    """Put back in stock the returned units refunded before they came back, unless that
    refund restocked them already (so no unit is counted twice)."""
    if not already:
        return
    unstocked = _refunded_unstocked(order)
    ids = sorted({line.variant_id for line, _ in already})
    variants = {v.id: v for v in db.session.scalars(sa.select(Variant).where(Variant.id.in_(ids)))}
    for line, units in sorted(already, key=lambda item: item[0].variant_id):
        back = min(units, unstocked.get(line.id, 0))
        variant = variants.get(line.variant_id)
        if back and variant is not None:  # a deleted variant has no stock to return to
            adjust_stock(
                variant,
                back,
                reason=StockReason.RETURN,
                note=f"{order.number} returned",
                actor_id=actor_id,
            )


def refunded_before(request: ReturnRequest) -> Units:
    """For a received return: (line, units) it named that its refund did not pay, because the
    shop had refunded them from the order page first (two queries)."""
    paid: dict[UUID, int] = {}
    if request.refund_id is not None:
        rows = db.session.execute(
            sa.select(OrderRefundLine.order_line_id, OrderRefundLine.quantity).where(
                OrderRefundLine.refund_id == request.refund_id
            )
        )
        for line_id, units in rows:
            paid[line_id] = paid.get(line_id, 0) + units
    wanted = {item.order_line_id: item.quantity for item in request.lines}
    rows = db.session.scalars(
        sa.select(OrderLine)
        .where(OrderLine.id.in_(sorted(wanted)))
        .order_by(OrderLine.position, OrderLine.id)
    )
    return tuple(
        (line, wanted[line.id] - paid.get(line.id, 0))
        for line in rows
        if wanted[line.id] > paid.get(line.id, 0)
    )


def describe_already(already: Units) -> str:
    """The sentence "1 unit of “Trowel” was already refunded from the order page" (empty: none)."""
    if not already:
        return ""
    parts = [f"{n} unit{'' if n == 1 else 's'} of “{line.title}”" for line, n in already]
    total = sum(units for _, units in already)
    verb = "was" if total == 1 else "were"
    return f"{', '.join(parts)} {verb} already refunded from the order page."
