"""Submitting a checkout: one order per shop, stock held, coupons redeemed, payment started.

All of it happens in one transaction that starts with a conditional update of
the checkout (``open`` -> ``submitted``): a double click, a reload or a retried
request finds the checkout already submitted and creates nothing. Anything that
fails (stock gone, a coupon used up, a changed cart) raises ``CheckoutError``
and the caller rolls the whole transaction back: no half-made orders.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

import sqlalchemy as sa
from flask import current_app

from mall.cart.models import Cart
from mall.cart.services import clear_lines
from mall.checkout.completion import complete_checkout
from mall.checkout.errors import CheckoutError
from mall.checkout.jobs import send_checkout_confirmation
from mall.checkout.models import Checkout, CheckoutStatus
from mall.checkout.services import Review, billing_address, missing_step, review, shipping_address
from mall.coupons.services import CouponError, redeem_coupons
from mall.db import utcnow
from mall.extensions import db
from mall.jobs import enqueue_after_commit
from mall.money import Party
from mall.orders.errors import StockShortage
from mall.orders.models import Order
from mall.orders.notifications import notify_shop_of_order
from mall.orders.services import Contact, create_order, hold_stock
from mall.payments.services import (
    CardDetails,
    PaymentError,
    PaymentPart,
    PaymentRequest,
    PaymentStart,
    start_payment,
    store_offline_card,
)
from tenants.context import tenant_context
from tenants.models import Tenant

MANUAL_METHODS = frozenset({"bank_transfer", "offline_card"})


@dataclass
class Submitted:
    """What the customer sees next: a provider's page, or the confirmation."""

    checkout: Checkout
    redirect_url: str | None = None  # the provider's hosted page (Stripe)
    already: bool = False  # this submission was a repeat: nothing new was made


def hold_window(method: str) -> timedelta:
    """How long stock stays held for an unpaid checkout of this payment method."""
    config = current_app.config
    if method in MANUAL_METHODS:
        return timedelta(days=config["MANUAL_PAYMENT_HOLD_DAYS"])
    # At least as long as a Stripe Checkout Session lives (30 minutes at least).
    return timedelta(minutes=max(30, config["CHECKOUT_HOLD_MINUTES"]))


def submit_checkout(
    checkout: Checkout,
    *,
    cart: Cart,
    reviewed: str,
    success_url: str,
    cancel_url: str,
    card: CardDetails | None = None,
    referral: list[dict] | None = None,
    now: datetime | None = None,
) -> Submitted:
    """Place the orders of ``checkout`` (once) and start its payment.

    ``reviewed`` is the fingerprint of the figures the customer confirmed; when
    the cart priced now differs, nothing is placed and the customer reviews again.
    """
    now = now or utcnow()
    if not _claim(checkout):
        return Submitted(checkout, already=True)
    summary = review(checkout, cart, now=now)
    _check_ready(checkout, summary, reviewed)
    method = checkout.payment_method or ""
    if method == "offline_card" and card is None:
        raise CheckoutError("Enter the card details.")
    until = now + hold_window(method)
    orders = _place_orders(checkout, summary, method=method, until=until)
    _redeem(checkout, summary, now=now)
    checkout.total = summary.quote.total
    checkout.submitted_at = now
    checkout.hold_until = until
    checkout.referral = referral or []
    checkout.coupon_codes = [rule.code for rule in summary.quote.coupons]
    db.session.flush()
    clear_lines(cart, [line.line.variant_id for s in summary.quote.shops for line in s.lines])
    if summary.quote.total == 0:
        # Nothing to pay (coupons and free shipping cover it all): paid as it is placed.
        complete_checkout(checkout.id)
        return Submitted(checkout)
    try:
        started = start_payment(
            _payment_request(checkout, summary, success_url, cancel_url, until), method=method
        )
    except PaymentError as error:
        raise CheckoutError(str(error)) from None
    if started.awaiting:
        return _await_manual_payment(checkout, orders, summary.shops, card=card)
    return _after_start(checkout, started)


def _claim(checkout: Checkout) -> bool:
    changed = db.session.execute(
        sa.update(Checkout)
        .where(Checkout.id == checkout.id, Checkout.status == CheckoutStatus.OPEN)
        .values(status=CheckoutStatus.SUBMITTED, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(checkout)
    return changed == 1


def _check_ready(checkout: Checkout, summary: Review, reviewed: str) -> None:
    step = missing_step(checkout, summary)
    if step == "cart":
        raise CheckoutError("Your cart is empty: there is nothing to order.")
    if step is not None:
        raise CheckoutError("Some details are missing: complete every step first.")
    if summary.contents.messages:
        raise CheckoutError("Your cart changed: please check it again before you pay.")
    if reviewed != summary.fingerprint:
        raise CheckoutError("Prices or quantities changed since you looked: please review again.")


def _place_orders(
    checkout: Checkout, summary: Review, *, method: str, until: datetime
) -> list[Order]:
    contact = Contact(
        email=checkout.email,
        shipping_address=shipping_address(checkout),
        billing_address=billing_address(checkout) or shipping_address(checkout),
        user_id=checkout.user_id,
    )
    variants = {
        line.variant.id: line.variant for group in summary.contents.shops for line in group.lines
    }
    orders = []
    # Shops in id order, variants in id order: concurrent checkouts lock rows alike.
    for part in sorted(summary.quote.shops, key=lambda s: s.tenant_id):
        shop = summary.shops[part.tenant_id]
        demand: dict[UUID, int] = defaultdict(int)
        for line in part.lines:
            demand[line.line.variant_id] += line.line.quantity
        with tenant_context(shop):
            order = create_order(
                part,
                shop=shop,
                checkout_id=checkout.id,
                contact=contact,
                variants=variants,
                payment_method=method,
                currency=checkout.currency,
            )
            try:
                hold_stock(order, demand, until=until)
            except StockShortage as error:
                raise CheckoutError(str(error)) from None
            orders.append(order)
    return orders


def _redeem(checkout: Checkout, summary: Review, *, now: datetime) -> None:
    if not summary.quote.coupons:
        return
    amounts: dict[UUID, int] = defaultdict(int)
    for shop in summary.quote.shops:
        for applied in shop.discounts:
            if applied.coupon_id is not None:
                amounts[applied.coupon_id] += applied.amount
    try:
        redeem_coupons(
            summary.quote.coupons,
            checkout_id=checkout.id,
            amounts=amounts,
            user_id=checkout.user_id,
            email_index=checkout.email_index,
            now=now,
        )
    except CouponError as error:
        raise CheckoutError(str(error)) from None


def _payment_request(
    checkout: Checkout, summary: Review, success_url: str, cancel_url: str, until: datetime
) -> PaymentRequest:
    parts = []
    for shop in summary.quote.shops:
        parts.append(
            PaymentPart(
                shop_name=summary.shops[shop.tenant_id].name,
                lines=[(line.line.title, line.line.quantity, line.total) for line in shop.lines],
                shipping=shop.shipping_amount
                + (0 if shop.prices_include_tax else shop.shipping_tax),
                discount=sum(line.discount_by(Party.SHOP) for line in shop.lines)
                + sum(line.discount_by(Party.PLATFORM) for line in shop.lines),
                tax=shop.tax,
                total=shop.total,
            )
        )
    return PaymentRequest(
        checkout_id=checkout.id,
        amount=summary.quote.total,
        currency=checkout.currency,
        parts=parts,
        success_url=success_url,
        cancel_url=cancel_url,
        expires_at=until,
        attempt=1,
    )


def _after_start(checkout: Checkout, started: PaymentStart) -> Submitted:
    db.session.refresh(checkout)
    return Submitted(checkout, redirect_url=started.redirect_url)


def _await_manual_payment(
    checkout: Checkout,
    orders: list[Order],
    shops: dict[UUID, Tenant],
    *,
    card: CardDetails | None,
) -> Submitted:
    from_status = CheckoutStatus.SUBMITTED
    for order in orders:
        with tenant_context(shops[order.tenant_id]):
            if card is not None:
                # Each shop charges its own part: its own copy, sealed under its own key.
                store_offline_card(order, card)
            notify_shop_of_order(order)
    db.session.execute(
        sa.update(Checkout)
        .where(Checkout.id == checkout.id, Checkout.status == from_status)
        .values(status=CheckoutStatus.AWAITING)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(checkout)
    enqueue_after_commit(send_checkout_confirmation, str(checkout.id))
    return Submitted(checkout)
