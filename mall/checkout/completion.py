"""Completing and expiring checkouts: one function each, whoever calls and however often.

The Stripe webhook, the customer's return from Stripe, the test provider and
the expiry job all end here, keyed by the checkout. Each starts with a
conditional update of the checkout's status, so only the first caller does the
work; every later one (a replayed webhook, a second tab, a re-run job) finds
it done and changes nothing.

A payment that arrives after the checkout expired still completes it: each
shop's order is paid again if its stock can be taken again; a shop whose stock
went to someone else meanwhile gets "paid — out of stock" and that part alone
is refunded, while the other shops' orders stand.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from flask import current_app

from mall.accounts.addresses import PostalAddress
from mall.accounts.models import User
from mall.checkout.errors import CheckoutError
from mall.checkout.jobs import send_checkout_confirmation
from mall.checkout.models import Checkout, CheckoutStatus
from mall.coupons.services import confirm_redemptions, release_redemptions
from mall.db import utcnow
from mall.extensions import db
from mall.jobs import enqueue_after_commit
from mall.orders.models import Order, OrderStatus
from mall.orders.notifications import notify_shop_of_order
from mall.orders.services import (
    cancel_order,
    mark_order_paid,
    mark_order_refunded,
    orders_of_checkout,
    record_event,
)
from mall.orders.tracking import tracking_link
from mall.payments.services import PaymentError, bank_instructions, refund
from mall.signals import checkout_expired
from tenants.context import all_tenants, tenant_context
from tenants.models import Tenant

# Webhooks from the provider usually settle a checkout first; the sweep waits this long.
EXPIRY_GRACE = timedelta(minutes=5)
SWEEP_BATCH = 200


def get_checkout(checkout_id: UUID) -> Checkout | None:
    return db.session.get(Checkout, checkout_id)


def _move(checkout: Checkout, old: tuple[CheckoutStatus, ...], **values: Any) -> bool:
    changed = db.session.execute(
        sa.update(Checkout)
        .where(Checkout.id == checkout.id, Checkout.status.in_(old))
        .values(**values, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(checkout)
    return changed == 1


def complete_checkout(checkout_id: UUID) -> bool:
    """The checkout's payment succeeded: pay every shop's order, once. False when done before."""
    checkout = get_checkout(checkout_id)
    if checkout is None:
        return False
    late = checkout.status is CheckoutStatus.EXPIRED
    if not _move(
        checkout,
        (CheckoutStatus.SUBMITTED, CheckoutStatus.EXPIRED, CheckoutStatus.AWAITING),
        status=CheckoutStatus.PAID,
        paid_at=utcnow(),
    ):
        return False
    shops = _shops_of(orders := orders_of_checkout(checkout.id))
    short, cancelled = [], []
    for order in orders:
        with tenant_context(shops[order.tenant_id]):
            mark_order_paid(order, note=_paid_note(checkout), revive=late)
            if order.status is OrderStatus.PAID_OUT_OF_STOCK:
                short.append(order)
            elif order.status is OrderStatus.CANCELLED:
                cancelled.append(order)  # the shop cancelled it while the customer paid
            notify_shop_of_order(order)
    confirm_redemptions(checkout.id)
    for order in short:
        _refund_short(checkout, order, shops[order.tenant_id])
    for order in cancelled:
        _refund_cancelled(checkout, order, shops[order.tenant_id])
    enqueue_after_commit(send_checkout_confirmation, str(checkout.id))
    return True


def _paid_note(checkout: Checkout) -> str:
    method = (checkout.payment_method or "").replace("_", " ")
    return f"Paid ({method})." if method else "Paid."


def _refund_short(checkout: Checkout, order: Order, shop: Tenant) -> None:
    """Refund one shop's part whose stock was sold while the payment was late."""
    try:
        refund(
            checkout.id,
            order.total,
            reason=f"{order.number}: out of stock when the payment arrived",
            key=f"short-{order.id.hex}",
        )
    except PaymentError:
        # The provider refused now; the order stays "paid — out of stock" for the shop
        # and the operator to refund by hand (it is listed as such).
        current_app.logger.warning("refund of a short order failed: order %s", order.id)
        return
    with tenant_context(shop):
        mark_order_refunded(
            order,
            amount=order.total,
            note="Refunded in full: the stock was sold before the payment arrived.",
        )


def _refund_cancelled(checkout: Checkout, order: Order, shop: Tenant) -> None:
    """Give back a shop's part that was cancelled while its customer was paying."""
    try:
        refund(
            checkout.id,
            order.total,
            reason=f"{order.number}: cancelled by the shop before the payment arrived",
            key=f"cancelled-{order.id.hex}",
        )
    except PaymentError:
        current_app.logger.warning("refund of a cancelled order failed: order %s", order.id)
        return
    with tenant_context(shop):
        record_event(
            order,
            "refunded",
            "The payment arrived after the order was cancelled: refunded in full.",
        )


def expire_checkout(checkout_id: UUID, *, reason: str = "Not paid in time.") -> bool:
    """The checkout was not paid: cancel its unpaid orders (holds back), release its coupons."""
    checkout = get_checkout(checkout_id)
    if checkout is None or not _move(
        checkout,
        (CheckoutStatus.SUBMITTED, CheckoutStatus.AWAITING),
        status=CheckoutStatus.EXPIRED,
        closed_at=utcnow(),
    ):
        return False
    orders = orders_of_checkout(checkout.id)
    shops = _shops_of(orders)
    for order in orders:
        if order.status is OrderStatus.AWAITING_PAYMENT:
            with tenant_context(shops[order.tenant_id]):
                cancel_order(order, reason=reason)
    release_redemptions(checkout.id)
    checkout_expired.send(checkout)
    return True


def cancel_unpaid_checkout(checkout_id: UUID, *, user: User) -> bool:
    """The customer cancels their own checkout that still waits for its payment, as if it
    expired (``expire_checkout``): unpaid orders cancelled, holds back, coupons released.

    False when it was cancelled already (a second click). Raises ``CheckoutError`` when the
    checkout is not the customer's, or its payment arrived meanwhile (its orders stand).
    """
    # The row lock makes a payment settling now wait for us, or us for it; then the status
    # read under the lock decides (a paid checkout is never cancelled).
    checkout = db.session.scalar(
        sa.select(Checkout)
        .where(Checkout.id == checkout_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if checkout is None or checkout.user_id != user.id or checkout.status is CheckoutStatus.OPEN:
        raise CheckoutError("This order is not one of yours, or was never placed.")
    if checkout.status is CheckoutStatus.EXPIRED:
        return False
    if checkout.status not in (CheckoutStatus.SUBMITTED, CheckoutStatus.AWAITING):
        raise CheckoutError("Your payment arrived meanwhile: the order stands, not cancelled.")
    return expire_checkout(checkout.id, reason="The customer cancelled it before paying.")


def expire_overdue(*, now: datetime | None = None) -> int:
    """Expire every checkout whose hold ended (plus a grace for late webhooks); how many."""
    now = now or utcnow()
    ids = db.session.scalars(
        sa.select(Checkout.id)
        .where(
            Checkout.status.in_((CheckoutStatus.SUBMITTED, CheckoutStatus.AWAITING)),
            Checkout.hold_until < now - EXPIRY_GRACE,
        )
        .order_by(Checkout.hold_until)
        .limit(SWEEP_BATCH)
    ).all()
    return sum(1 for checkout_id in ids if expire_checkout(checkout_id))


def _shops_of(orders: list[Order]) -> dict[UUID, Tenant]:
    ids = {order.tenant_id for order in orders}
    if not ids:
        return {}
    rows = db.session.scalars(sa.select(Tenant).where(Tenant.id.in_(ids)))
    return {shop.id: shop for shop in rows}


# ---------------------------------------------------------------- what the customer is told


def confirmation_context(checkout_id: UUID) -> dict[str, Any] | None:
    """What the confirmation email and page show: every shop's order of the checkout."""
    checkout = get_checkout(checkout_id)
    if checkout is None or checkout.status is CheckoutStatus.OPEN:
        return None
    orders = orders_of_checkout(checkout.id)
    shops = _shops_of(orders)
    parts = []
    with all_tenants("checkout confirmation: the customer's orders in every shop"):
        for order in orders:
            parts.append({"shop": shops[order.tenant_id], "order": order, "lines": order.lines})
    sealed = checkout.shipping_address_json
    instructions = bank_instructions(shops) if checkout.payment_method == "bank_transfer" else {}
    for part in parts:
        part["instructions"] = instructions.get(part["shop"].id, "")
        # Only the first link: once staff replaced it (it leaked), this page, which needs
        # no sign-in either, must not hand out the new one.
        first_link = part["order"].tracking_version == 1
        part["tracking_url"] = tracking_link(part["order"]) if first_link else ""
    return {
        "email": checkout.email,
        "checkout": checkout,
        "parts": parts,
        "address": PostalAddress.from_json(sealed) if sealed else None,
        "total": sum(part["order"].total for part in parts),
    }
