"""Refunds of a paid order: by lines and/or an amount, shipping, optionally restocking.

One function records a refund whichever way it started: the shop's back office
(``refund_order``, through the payment provider or recorded as manual), a
cancelled paid order (``cancel_paid_order``), or a refund made on the
provider's dashboard and reported by its webhook (``record_provider_refund``).
Each is keyed: the same key returns the first refund and changes nothing, and
the order's refunded total grows by a conditional UPDATE that never passes the
order's total, so two refunds racing for the last euro cannot both succeed.

Amounts come from the stored, already-rounded line totals: a line's share for
some of its units, and the tax inside it, are each the share of everything
refunded so far minus the share already refunded (``money.proportion``), so
refunding every unit one at a time gives back exactly the line's total and tax.

``order_refunded`` announces each refund (the ledger posts its reversal).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from uuid import UUID

import sqlalchemy as sa

from mall.catalog.models import StockReason, Variant
from mall.catalog.stock import adjust_stock
from mall.db import utcnow
from mall.extensions import db
from mall.money import allocate, format_money, proportion
from mall.orders import status
from mall.orders.errors import OrderError
from mall.orders.fulfilment import complete_if_nothing_left
from mall.orders.models import (
    Order,
    OrderLine,
    OrderRefund,
    OrderRefundLine,
    OrderStatus,
    PaymentStatus,
    RefundSource,
)
from mall.orders.services import orders_of_checkout, record_event
from mall.payments.errors import PaymentError
from mall.payments.models import Payment, PaymentRefund
from mall.payments.services import refund as refund_payment
from mall.signals import order_cancelled, order_refunded, payment_refunded, refund_unattributed
from tenants.context import tenant_context
from tenants.guard import scoped_get

MANUAL_METHODS = ("bank_transfer", "offline_card")
REFUNDABLE = (PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED)


@dataclass(frozen=True)
class RefundRequest:
    """What the staff chose: units per order line, an amount, shipping, restock, manual."""

    quantities: Mapping[UUID, int] = field(default_factory=dict)
    amount: int | None = None  # instead of the lines' own amounts (no more than them)
    shipping: int = 0  # tax included
    restock: bool = False
    manual: bool = False
    reason: str = ""
    # The units came back from the customer (a return): shipped units, so the order's units
    # left to ship stay as they were.
    returned: bool = False


@dataclass(frozen=True)
class LinePart:
    line: OrderLine
    quantity: int
    amount: int
    tax: int


@dataclass(frozen=True)
class RefundPlan:
    parts: list[LinePart]
    shipping: int

    @property
    def total(self) -> int:
        return sum(part.amount for part in self.parts) + self.shipping


def get_refund(refund_id: UUID | str | None) -> OrderRefund | None:
    """The refund of the shop in context with this id, or None."""
    return scoped_get(OrderRefund, refund_id)


def refunds_of(order: Order) -> list[OrderRefund]:
    """The order's refunds, oldest first, with their lines (two queries)."""
    return list(
        db.session.scalars(
            sa.select(OrderRefund)
            .where(OrderRefund.order_id == order.id)
            .order_by(OrderRefund.created_at)
            .options(sa.orm.selectinload(OrderRefund.lines))
        )
    )


def shipping_paid(order: Order) -> int:
    """What the customer paid for shipping, tax included."""
    return order.shipping_amount + (0 if order.prices_include_tax else order.shipping_tax)


def shipping_refunded(order: Order) -> int:
    total = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(OrderRefund.shipping), 0)).where(
            OrderRefund.order_id == order.id
        )
    )
    return int(total or 0)


def units_left(line: OrderLine) -> int:
    return line.quantity - line.quantity_refunded


def amount_left(line: OrderLine) -> int:
    return line.total - line.amount_refunded


def _money(order: Order, amount: int) -> str:
    return format_money(amount, code=order.currency)


def _suggested(line: OrderLine, units: int) -> int:
    """The refund for ``units`` of the line: all that is left when they are the last units."""
    if units >= units_left(line):
        return amount_left(line)
    return min(amount_left(line), proportion(line.total, units, line.quantity))


def _tax_of(line: OrderLine, amount: int) -> int:
    before = line.amount_refunded
    after = before + amount
    return proportion(line.tax, after, line.total) - proportion(line.tax, before, line.total)


def _chosen_amounts(order: Order, request: RefundRequest) -> list[tuple[OrderLine, int, int]]:
    """(line, units, amount) for each line the refund touches, before any amount override."""
    by_id = {line.id: line for line in order.lines}
    chosen = []
    for line_id, units in request.quantities.items():
        line = by_id.get(line_id)
        if line is None:
            raise OrderError("An item chosen for the refund is not in this order.")
        if units < 0 or units > units_left(line):
            raise OrderError(
                f"“{line.title}”: at most {units_left(line)} of {line.quantity} can be refunded."
            )
        came_back = line.quantity_shipped - line.quantity_returned
        if request.returned and units > came_back:
            raise OrderError(f"“{line.title}”: only {came_back} shipped can come back.")
        if units:
            chosen.append((line, units, _suggested(line, units)))
    return chosen


def plan_refund(order: Order, request: RefundRequest) -> RefundPlan:
    """Check the request against what is left and work out every line's amount and tax."""
    if order.payment_status is PaymentStatus.REFUNDED:
        raise OrderError(f"Order {order.number} is refunded in full: nothing is left to refund.")
    if order.payment_status not in REFUNDABLE:
        raise OrderError(f"Order {order.number} is not paid: there is nothing to refund.")
    chosen = _chosen_amounts(order, request)
    if request.amount is not None:
        chosen = _override(order, chosen, request.amount)
    left_shipping = shipping_paid(order) - shipping_refunded(order)
    if not 0 <= request.shipping <= left_shipping:
        raise OrderError(f"At most {_money(order, left_shipping)} of shipping can be refunded.")
    parts = [
        LinePart(line, units, amount, _tax_of(line, amount))
        for line, units, amount in chosen
        if amount or units
    ]
    plan = RefundPlan(parts, request.shipping)
    if plan.total <= 0:
        raise OrderError("Choose items, an amount or shipping to refund.")
    left = order.total - order.refunded_amount
    if plan.total > left:
        raise OrderError(f"At most {_money(order, left)} is left to refund on this order.")
    return plan


def _override(
    order: Order, chosen: list[tuple[OrderLine, int, int]], amount: int
) -> list[tuple[OrderLine, int, int]]:
    """Spread ``amount`` over the chosen lines (or, none chosen, every line with money left)."""
    if amount < 0:
        raise OrderError("Enter an amount of zero or more.")
    if not chosen:
        chosen = [(line, 0, amount_left(line)) for line in order.lines if amount_left(line) > 0]
    ceiling = sum(suggested for _, _, suggested in chosen)
    if amount > ceiling:
        raise OrderError(
            f"At most {_money(order, ceiling)} can be refunded for these items "
            "(add shipping separately)."
        )
    shares = allocate(amount, [suggested for _, _, suggested in chosen]) if chosen else []
    return [(line, units, share) for (line, units, _), share in zip(chosen, shares, strict=True)]


def find_refund(order: Order, key: str) -> OrderRefund | None:
    """The refund made with ``key`` (unique in the shop); OrderError if it was another order's."""
    found = db.session.scalar(
        sa.select(OrderRefund).where(OrderRefund.idempotency_key == key[:255])
    )
    if found is not None and found.order_id != order.id:
        raise OrderError("This form was already used for another order: reload the page.")
    return found


def refund_order(
    order: Order,
    request: RefundRequest,
    *,
    actor_id: UUID | None,
    key: str,
    source: RefundSource = RefundSource.ADMIN,
    payment_refund_id: UUID | None = None,
) -> tuple[OrderRefund, bool]:
    """Refund part or all of a paid order, once per ``key``: (the refund, made now?).

    Money goes back through the payment provider (its idempotency key made from
    ``key``) unless the order was paid to the shop directly or ``manual`` is
    chosen: then the refund is recorded for the shop to pay back itself.
    Restocking returns the units through stock movements. Raises OrderError.
    """
    existing = find_refund(order, key)
    if existing is not None:
        return existing, False
    plan = plan_refund(order, request)
    _claim(order, plan, returned=request.returned)
    manual = request.manual or order.payment_method in MANUAL_METHODS
    if source is RefundSource.ADMIN or source is RefundSource.CANCEL:
        payment_refund_id = None if manual else _through_provider(order, plan, request, key)
    refund = _record(
        order,
        plan,
        request,
        key=key,
        source=source,
        manual=manual,
        payment_refund_id=payment_refund_id,
        actor_id=actor_id,
    )
    if request.restock:
        _restock(order, plan, actor_id=actor_id)
    record_event(order, "refunded", _describe(order, plan, refund), actor_id=actor_id)
    _settle_status(order, actor_id=actor_id)
    order_refunded.send(
        order,
        refund_id=refund.id,
        amount=plan.total,
        lines=tuple((part.line.id, part.quantity, part.amount) for part in plan.parts),
        full=order.payment_status is PaymentStatus.REFUNDED,
    )
    return refund, True


def _claim(order: Order, plan: RefundPlan, *, returned: bool = False) -> None:
    """Add the plan to the order's and lines' refunded totals, never beyond what was paid
    (``returned``: and to the units that came back, never beyond what shipped)."""
    changed = db.session.execute(
        sa.update(Order)
        .where(
            Order.tenant_id == order.tenant_id,
            Order.id == order.id,
            Order.refunded_amount + plan.total <= Order.total,
        )
        .values(refunded_amount=Order.refunded_amount + plan.total)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise OrderError(f"Order {order.number} was refunded meanwhile: reload and check.")
    for part in plan.parts:
        back = part.quantity if returned else 0
        changed = db.session.execute(
            sa.update(OrderLine)
            .where(
                OrderLine.tenant_id == order.tenant_id,
                OrderLine.id == part.line.id,
                OrderLine.quantity_refunded + part.quantity <= OrderLine.quantity,
                OrderLine.amount_refunded + part.amount <= OrderLine.total,
                OrderLine.quantity_returned + back <= OrderLine.quantity_shipped,
            )
            .values(
                quantity_refunded=OrderLine.quantity_refunded + part.quantity,
                quantity_returned=OrderLine.quantity_returned + back,
                amount_refunded=OrderLine.amount_refunded + part.amount,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed != 1:
            raise OrderError(f"“{part.line.title}” was refunded meanwhile: reload and check.")
    db.session.refresh(order)
    for line in order.lines:
        db.session.refresh(line)


def _through_provider(order: Order, plan: RefundPlan, request: RefundRequest, key: str) -> UUID:
    try:
        made = refund_payment(
            order.checkout_id,
            plan.total,
            reason=f"{order.number}: {request.reason}"[:300],
            key=f"order-refund:{order.id}:{key}",
        )
    except PaymentError as refused:
        raise OrderError(str(refused)) from None
    return made.id


def _record(
    order: Order,
    plan: RefundPlan,
    request: RefundRequest,
    *,
    key: str,
    source: RefundSource,
    manual: bool,
    payment_refund_id: UUID | None,
    actor_id: UUID | None,
) -> OrderRefund:
    refund = OrderRefund(
        tenant_id=order.tenant_id,
        order_id=order.id,
        amount=plan.total,
        shipping=plan.shipping,
        restocked=request.restock and any(part.quantity for part in plan.parts),
        manual=manual,
        source=source,
        reason=request.reason.strip()[:300],
        idempotency_key=key[:255],
        payment_refund_id=payment_refund_id,
        actor_id=actor_id,
    )
    db.session.add(refund)
    db.session.flush()
    for part in plan.parts:
        db.session.add(
            OrderRefundLine(
                tenant_id=order.tenant_id,
                refund_id=refund.id,
                order_line_id=part.line.id,
                quantity=part.quantity,
                amount=part.amount,
                tax=part.tax,
            )
        )
    db.session.flush()
    db.session.refresh(refund)
    return refund


def _restock(order: Order, plan: RefundPlan, *, actor_id: UUID | None) -> None:
    ids = sorted(part.line.variant_id for part in plan.parts if part.quantity)
    if not ids:
        return
    variants = {v.id: v for v in db.session.scalars(sa.select(Variant).where(Variant.id.in_(ids)))}
    for part in sorted(plan.parts, key=lambda part: part.line.variant_id):
        variant = variants.get(part.line.variant_id)
        if variant is not None and part.quantity:  # a deleted variant has no stock to return to
            adjust_stock(
                variant,
                part.quantity,
                reason=StockReason.RETURN,
                note=f"{order.number} refunded",
                actor_id=actor_id,
            )


def _settle_status(order: Order, *, actor_id: UUID | None) -> None:
    """Refunded in full: payment "refunded" and the order "refunded" (unless cancelled).

    In part: "partially refunded"; when the units refunded were the last ones
    still to ship, a partially fulfilled order is now fulfilled.
    """
    full = order.refunded_amount >= order.total
    order.payment_status = PaymentStatus.REFUNDED if full else PaymentStatus.PARTIALLY_REFUNDED
    db.session.flush()
    if full and order.status is not OrderStatus.CANCELLED:
        status.move(order, OrderStatus.REFUNDED)
    else:
        complete_if_nothing_left(order, actor_id=actor_id)


def _describe(order: Order, plan: RefundPlan, refund: OrderRefund) -> str:
    items = ", ".join(
        f"{part.quantity} \u00d7 {part.line.title}" if part.quantity else part.line.title
        for part in plan.parts
    )
    if plan.shipping:
        items = f"{items}, shipping" if items else "shipping"
    how = " (recorded as paid back by the shop)" if refund.manual else ""
    restocked = "; restocked" if refund.restocked else ""
    reason = f" — {refund.reason}" if refund.reason else ""
    return f"Refunded {_money(order, plan.total)}{how}: {items}{restocked}{reason}"


def everything_left(order: Order) -> RefundRequest:
    """A request for all that is left: every unit, and the shipping."""
    return RefundRequest(
        quantities={line.id: units_left(line) for line in order.lines if units_left(line)},
        shipping=shipping_paid(order) - shipping_refunded(order),
        restock=True,
    )


def cancel_paid_order(order: Order, *, actor_id: UUID | None, reason: str, key: str) -> bool:
    """Cancel a paid order that has not shipped: refund it in full and return its stock, once.

    False when it was already cancelled. Raises OrderError when something shipped
    (refund the rest instead) or the order is not paid.
    """
    if any(line.quantity_shipped for line in order.lines):
        raise OrderError(
            f"Order {order.number} has shipped items: refund what is left instead of cancelling."
        )
    if not status.move(
        order, OrderStatus.CANCELLED, sources=frozenset({OrderStatus.PAID}), cancelled_at=utcnow()
    ):
        return False
    request = replace(everything_left(order), reason=reason)
    refund_order(order, request, actor_id=actor_id, key=f"cancel:{key}", source=RefundSource.CANCEL)
    record_event(order, "cancelled", f"Cancelled: {reason}", actor_id=actor_id)
    order_cancelled.send(order)
    return True


def record_provider_refund(
    order: Order, amount: int, *, payment_refund_id: UUID, provider_ref: str
) -> tuple[OrderRefund, bool]:
    """A refund made on the provider's dashboard, matched to this order: recorded once.

    The amount is spread over what is left of the lines, then the shipping.
    """
    lines_left = sum(amount_left(line) for line in order.lines)
    on_lines = min(amount, lines_left)
    request = RefundRequest(
        amount=on_lines,
        shipping=amount - on_lines,
        reason="Refunded on the payment provider's dashboard",
    )
    return refund_order(
        order,
        request,
        actor_id=None,
        key=f"provider:{provider_ref}",
        source=RefundSource.PROVIDER,
        payment_refund_id=payment_refund_id,
    )


# ---------------------------------------------------------------- refunds made elsewhere


def candidates_for(checkout_id: UUID, amount: int) -> list[Order]:
    """The checkout's paid orders with at least ``amount`` left to refund."""
    return [
        order
        for order in orders_of_checkout(checkout_id)
        if order.payment_status in REFUNDABLE and order.total - order.refunded_amount >= amount
    ]


def on_payment_refunded(
    payment: Payment, *, checkout_id: UUID, amount: int, provider_ref: str, **_: object
) -> None:
    """A refund made on the provider's dashboard: on its order when only one can take it.

    A checkout of one shop, or of several where exactly one order has that much
    left, is matched; otherwise the refund is announced as unattributed (the
    operator assigns it, and that checkout's payouts wait).
    """
    made = db.session.scalar(
        sa.select(PaymentRefund).where(PaymentRefund.provider_ref == provider_ref)
    )
    if made is None:
        return
    candidates = candidates_for(checkout_id, amount)
    if len(candidates) == 1:
        order = candidates[0]
        with tenant_context(order.shop):
            record_provider_refund(
                order, amount, payment_refund_id=made.id, provider_ref=provider_ref
            )
        return
    refund_unattributed.send(
        payment,
        checkout_id=checkout_id,
        amount=amount,
        provider_ref=provider_ref,
        payment_refund_id=made.id,
    )


def connect() -> None:
    payment_refunded.connect(on_payment_refunded)
