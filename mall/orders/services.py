"""Orders: created from a shop's part of a checkout, held, paid, cancelled.

Every function works inside the shop's tenant context (the caller enters it).
State changes are conditional updates (``WHERE status = …``), so whichever
path gets there first (a webhook, the customer's return, a job, a double
click) changes the order once and the others change nothing.

Stock for an order is held at submission: one movement per variant out of
stock (``ORDER_HOLD``), through ``mall.catalog.stock.adjust_stock``, whose
conditional update never takes a tracked variant below zero. A hold is
confirmed when the order is paid and released (a movement back) when it is
not paid in time or is cancelled, exactly once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import sqlalchemy as sa

from mall.accounts.addresses import PostalAddress
from mall.catalog.models import StockReason, Variant, option_label
from mall.catalog.stock import OutOfStock, adjust_stock
from mall.db import utcnow
from mall.extensions import db
from mall.money import Party
from mall.orders import status
from mall.orders.errors import InvalidTransition, OrderError, StockShortage
from mall.orders.fulfilment import fulfil_digital
from mall.orders.models import (
    HoldStatus,
    Order,
    OrderDiscount,
    OrderEvent,
    OrderLine,
    OrderStatus,
    PaymentStatus,
    StockHold,
)
from mall.orders.numbers import take_order_number
from mall.pricing.quote import ShopQuote
from mall.signals import order_cancelled, order_paid
from tenants.context import all_tenants
from tenants.guard import scoped_get
from tenants.models import Tenant

__all__ = ["InvalidTransition", "OrderError", "StockShortage"]


@dataclass(frozen=True)
class Contact:
    """What the customer gave at checkout; each shop's order keeps its own sealed copy."""

    email: str
    shipping_address: PostalAddress | None
    billing_address: PostalAddress | None
    user_id: UUID | None = None


def get_order(order_id: UUID | str | None) -> Order | None:
    """The order of the shop in context with this id, or None (another shop's: None)."""
    return scoped_get(Order, order_id)


def create_order(
    part: ShopQuote,
    *,
    shop: Tenant,
    checkout_id: UUID,
    contact: Contact,
    variants: Mapping[UUID, Variant],
    payment_method: str,
    currency: str,
) -> Order:
    """The shop's order for its part of a checkout: lines, discounts and a sealed contact copy.

    ``variants`` are the lines' variants (for SKU and options). The number is taken
    from the shop's counter in this transaction.
    """
    order = Order(
        tenant_id=shop.id,
        checkout_id=checkout_id,
        number=take_order_number(shop),
        payment_method=payment_method,
        user_id=contact.user_id,
        currency=currency,
        subtotal=part.subtotal,
        discount_shop=sum(line.discount_by(Party.SHOP) for line in part.lines),
        discount_platform=sum(line.discount_by(Party.PLATFORM) for line in part.lines),
        shipping_amount=part.shipping_amount,
        shipping_tax=part.shipping_tax,
        shipping_tax_collector=part.shipping_tax_collector,
        tax=part.tax,
        total=part.total,
        prices_include_tax=part.prices_include_tax,
        needs_shipping=part.needs_shipping,
        shipping_method_id=part.shipping.method_id if part.shipping else None,
        shipping_method_name=part.shipping.name if part.shipping else "",
    )
    order.email = contact.email
    if contact.shipping_address is not None:
        order.shipping_address_json = contact.shipping_address.to_json()
    if contact.billing_address is not None:
        order.billing_address_json = contact.billing_address.to_json()
    db.session.add(order)
    for position, priced in enumerate(part.lines):
        variant = variants[priced.line.variant_id]
        db.session.add(
            OrderLine(
                tenant_id=shop.id,
                order_id=order.id,
                position=position,
                product_id=priced.line.product_id,
                variant_id=variant.id,
                title=variant.product.title[:200],  # the options have their own column
                sku=variant.sku,
                options=option_label(variant, variant.product)[:300],
                kind=str(variant.product.kind),
                requires_shipping=priced.line.requires_shipping,
                unit_price=priced.line.unit_price,
                quantity=priced.line.quantity,
                subtotal=priced.subtotal,
                discount_shop=priced.discount_by(Party.SHOP),
                discount_platform=priced.discount_by(Party.PLATFORM),
                tax=priced.tax,
                tax_rate_bp=priced.tax_rate_bp,
                tax_collector=priced.tax_collector,
                tax_country=priced.tax_country,
                total=priced.total,
            )
        )
    for applied in part.discounts:
        db.session.add(
            OrderDiscount(
                tenant_id=shop.id,
                order_id=order.id,
                code=applied.code,
                coupon_id=applied.coupon_id,
                funded_by=applied.funded_by,
                amount=applied.amount,
            )
        )
    db.session.flush()
    record_event(order, "placed", f"Order {order.number} placed.")
    return order


def record_event(order: Order, kind: str, message: str, *, actor_id: UUID | None = None) -> None:
    """Add a line to the order's timeline."""
    db.session.add(
        OrderEvent(
            tenant_id=order.tenant_id,
            order_id=order.id,
            kind=kind,
            message=message[:300],
            actor_id=actor_id,
        )
    )
    db.session.flush()


# ---------------------------------------------------------------- stock holds


def hold_stock(order: Order, demand: Mapping[UUID, int], *, until: datetime) -> None:
    """Take ``demand`` (variant id -> units, summed over the checkout) out of stock for ``order``.

    Variants are taken in id order, so concurrent checkouts lock them in the same
    order. Raises ``StockShortage`` naming the variant when its stock ran out.
    """
    variants = _variants(demand.keys())
    for variant_id in sorted(demand):
        variant = variants.get(variant_id)
        if variant is None:
            raise StockShortage("An item in your cart is no longer on sale.", variant_id=variant_id)
        try:
            adjust_stock(
                variant, -demand[variant_id], reason=StockReason.ORDER_HOLD, note=order.number
            )
        except OutOfStock:
            left = max(variant.stock_quantity, 0)
            raise StockShortage(
                f"Only {left} of “{variant.product.title}” left: change the quantity in your cart.",
                variant_id=variant_id,
            ) from None
        db.session.add(
            StockHold(
                tenant_id=order.tenant_id,
                order_id=order.id,
                variant_id=variant_id,
                quantity=demand[variant_id],
                expires_at=until,
            )
        )
    db.session.flush()


def release_holds(order: Order, *, note: str) -> int:
    """Put the order's held stock back (each hold once, however often this runs); units back."""
    returned = 0
    holds = _holds(order, HoldStatus.HELD)
    variants = _variants(hold.variant_id for hold in holds)
    for hold in holds:
        if not _move_hold(hold, HoldStatus.HELD, HoldStatus.RELEASED):
            continue
        variant = variants.get(hold.variant_id)
        if variant is not None:  # a variant deleted since has no stock to return to
            adjust_stock(variant, hold.quantity, reason=StockReason.HOLD_RELEASED, note=note)
        returned += hold.quantity
    return returned


def confirm_holds(order: Order) -> bool:
    """The order is paid: its holds become sales. False when stock released meanwhile is gone.

    A hold released because the payment came late is taken again if the stock is
    still there; when it is not, the order is short (the caller refunds it).
    """
    complete = True
    holds = _holds(order, None)
    variants = _variants(hold.variant_id for hold in holds)
    for hold in holds:
        if hold.status is HoldStatus.HELD:
            _move_hold(hold, HoldStatus.HELD, HoldStatus.CONFIRMED)
        elif hold.status is HoldStatus.RELEASED:
            variant = variants.get(hold.variant_id)
            try:
                if variant is None:
                    raise OutOfStock("gone")
                adjust_stock(
                    variant, -hold.quantity, reason=StockReason.ORDER_HOLD, note=order.number
                )
            except OutOfStock:
                complete = False
                continue
            _move_hold(hold, HoldStatus.RELEASED, HoldStatus.CONFIRMED)
    return complete


def _move_hold(hold: StockHold, old: HoldStatus, new: HoldStatus) -> bool:
    changed = db.session.execute(
        sa.update(StockHold)
        .where(
            StockHold.tenant_id == hold.tenant_id,
            StockHold.id == hold.id,
            StockHold.status == old,
        )
        .values(status=new)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed:
        hold.status = new
        db.session.flush()
    return changed == 1


def _holds(order: Order, status: HoldStatus | None) -> list[StockHold]:
    query = sa.select(StockHold).where(StockHold.order_id == order.id)
    if status is not None:
        query = query.where(StockHold.status == status)
    # Fresh from the database (another path may have moved them): one query, not one each.
    query = query.order_by(StockHold.variant_id).execution_options(populate_existing=True)
    return list(db.session.scalars(query))


def _variants(ids: object) -> dict[UUID, Variant]:
    wanted = sorted(set(ids))  # type: ignore[call-overload]
    if not wanted:
        return {}
    rows = db.session.scalars(sa.select(Variant).where(Variant.id.in_(wanted))).all()
    return {variant.id: variant for variant in rows}


# ---------------------------------------------------------------- payment and cancellation
# Every status change goes through ``status.move`` (one conditional UPDATE): the machine
# decides what is allowed, and a repeat or a race changes the order once.


def mark_order_paid(
    order: Order, *, actor_id: UUID | None = None, note: str = "", revive: bool = False
) -> bool:
    """Record the order's payment (once): holds confirmed, ``order_paid`` announced.

    Returns False when it was already paid or is no longer awaiting payment. With
    ``revive`` an order cancelled because its checkout expired is paid too (the
    payment came late). When its stock was released meanwhile and sold, the order
    becomes "paid — out of stock" instead, and nothing is announced: the caller refunds.
    """
    try:
        moved = status.move(
            order,
            OrderStatus.PAID,
            sources=status.REVIVABLE if revive else None,
            payment_status=PaymentStatus.PAID,
            paid_at=utcnow(),
            cancelled_at=None,
        )
    except InvalidTransition:
        # Callers say why in their own words (a bank transfer, a card, a webhook).
        return False
    if not moved:
        return False
    if not confirm_holds(order):
        status.move(order, OrderStatus.PAID_OUT_OF_STOCK)
        record_event(
            order,
            "paid_short",
            "Paid after its stock hold lapsed, and the stock was sold meanwhile.",
            actor_id=actor_id,
        )
        return True
    record_event(order, "paid", note or "Payment received.", actor_id=actor_id)
    order_paid.send(order)
    # After the signal: a later domain may hold the order (a licence key still owed).
    fulfil_digital(order)  # nothing to ship (digital only): fulfilled now
    return True


def mark_order_refunded(
    order: Order, *, amount: int, note: str, actor_id: UUID | None = None
) -> bool:
    """Record that the whole order was refunded (``amount`` back in all), once; False on a repeat.

    An order "paid — out of stock" keeps that status (it says why it was refunded);
    only its payment status changes. Any other order moves to "refunded" through the
    status machine, which refuses an order that was never paid.
    """
    values = {
        "payment_status": PaymentStatus.REFUNDED,
        # What the refunds recorded so far, or the whole amount when nothing recorded it.
        "refunded_amount": sa.case(
            (Order.refunded_amount < amount, amount), else_=Order.refunded_amount
        ),
    }
    if order.status is OrderStatus.PAID_OUT_OF_STOCK:
        moved = _set_payment_refunded(order, values)
    else:
        moved = status.move(order, OrderStatus.REFUNDED, **values)
    if moved:
        record_event(order, "refunded", note, actor_id=actor_id)
    return moved


def _set_payment_refunded(order: Order, values: dict[str, object]) -> bool:
    changed = db.session.execute(
        sa.update(Order)
        .where(
            Order.tenant_id == order.tenant_id,
            Order.id == order.id,
            Order.payment_status != PaymentStatus.REFUNDED,
        )
        .values(updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(order)
    return changed == 1


UNPAID = frozenset({OrderStatus.AWAITING_PAYMENT})


def cancel_order(order: Order, *, actor_id: UUID | None = None, reason: str) -> bool:
    """Cancel an unpaid order (once): its stock holds go back, ``order_cancelled`` announced.

    False when it already was cancelled. A paid order is cancelled by refunding it
    (``mall.orders.refunds.cancel_paid_order``): here it is refused with a message.
    """
    try:
        moved = status.move(
            order,
            OrderStatus.CANCELLED,
            sources=UNPAID,
            payment_status=PaymentStatus.VOIDED,
            cancelled_at=utcnow(),
        )
    except InvalidTransition:
        raise InvalidTransition(
            f"Order {order.number} is {status.LABELS[order.status]}: "
            "only an order awaiting payment can be cancelled without a refund."
        ) from None
    if not moved:
        return False
    release_holds(order, note=f"{order.number} cancelled")
    record_event(order, "cancelled", f"Cancelled: {reason}", actor_id=actor_id)
    order_cancelled.send(order)
    return True


def mark_delivered(order: Order, *, actor_id: UUID | None) -> bool:
    """The fulfilled order reached the customer (once); False when it already was delivered.

    Raises ``InvalidTransition`` for an order that is not fulfilled (nothing or not
    everything shipped, cancelled, refunded).
    """
    if not status.move(order, OrderStatus.DELIVERED, delivered_at=utcnow()):
        return False
    record_event(order, "delivered", "Marked delivered.", actor_id=actor_id)
    return True


def orders_of_checkout(checkout_id: UUID) -> list[Order]:
    """Every shop's order of a checkout, with their shops (checkout orchestration)."""
    with all_tenants("checkout: the orders of one checkout, one per shop"):
        return list(
            db.session.scalars(
                sa.select(Order).where(Order.checkout_id == checkout_id).order_by(Order.number)
            )
        )


def order_address(order: Order, which: str = "shipping") -> PostalAddress | None:
    """The order's sealed address copy, opened (for the shop's staff and the customer)."""
    sealed = order.shipping_address_json if which == "shipping" else order.billing_address_json
    return PostalAddress.from_json(sealed) if sealed else None
