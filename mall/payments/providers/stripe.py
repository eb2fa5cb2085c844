"""Stripe: a hosted Checkout Session for the whole checkout, refunds, and verified webhooks.

Card data never reaches Mall: the customer pays on Stripe's page. Stripe gets
amounts, the currency, the checkout id and each shop's line descriptions;
never a name, an address, an email or a phone. Every call that changes
something carries an idempotency key made from the record and the attempt,
so a retried call returns what the first one made.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import stripe
from flask import current_app

from mall.money import format_money
from mall.payments.contract import PaymentPart, PaymentRequest, PaymentStart
from mall.payments.errors import PaymentError
from mall.payments.models import Payment, RefundStatus

NAME = "stripe"
# Stripe accepts a session lifetime of 30 minutes to 24 hours; a little margin for the trip.
MIN_SESSION = timedelta(minutes=31)
MAX_SESSION = timedelta(hours=23, minutes=59)
UNAVAILABLE = "The card payment service is not answering: please try again in a minute."


def client() -> stripe.StripeClient:
    """A client for the configured account (and ``STRIPE_API_BASE`` when set: tests)."""
    config = current_app.config
    key = config.get("STRIPE_SECRET_KEY")
    if not key:
        raise PaymentError("Card payments are not available at the moment.")
    base = config.get("STRIPE_API_BASE")
    if base:
        return stripe.StripeClient(key, base_addresses={"api": base}, max_network_retries=2)
    return stripe.StripeClient(key, max_network_retries=2)


def checkout_origin() -> str:
    """The origin of Stripe Checkout's hosted page (``STRIPE_CHECKOUT_ORIGIN``)."""
    return current_app.config["STRIPE_CHECKOUT_ORIGIN"]


def session_key(payment: Payment) -> str:
    """The idempotency key of the payment's session: the same checkout and attempt, one session."""
    return f"mall-checkout-{payment.checkout_id.hex}-attempt-{payment.attempt}-session"


def refund_key(payment: Payment, key: str) -> str:
    return f"mall-payment-{payment.id.hex}-refund-{key}"[:255]


def session_expiry(expires_at: datetime, *, now: datetime | None = None) -> int:
    """The checkout's hold end as Stripe's ``expires_at``, kept within 30 minutes..24 hours."""
    now = now or datetime.now(UTC)
    if expires_at.tzinfo is None:
        expires_at = expires_at.replace(tzinfo=UTC)
    bounded = min(max(expires_at, now + MIN_SESSION), now + MAX_SESSION)
    return int(bounded.timestamp())


def _part_description(part: PaymentPart, currency: str) -> str:
    items = ", ".join(f"{quantity} x {title}" for title, quantity, _ in part.lines)
    extras = []
    if part.shipping:
        extras.append(f"shipping {format_money(part.shipping, code=currency)}")
    if part.discount:
        extras.append(f"discount -{format_money(part.discount, code=currency)}")
    if part.tax:
        extras.append(f"tax {format_money(part.tax, code=currency)}")
    text = items + (f" ({', '.join(extras)})" if extras else "")
    return text[:500] or "Order"


def line_items(request: PaymentRequest) -> list[dict[str, Any]]:
    """One line per shop (its lines, shipping, discount and tax described), summing to the total.

    When the parts do not add up to the amount (a platform-wide adjustment), one line
    carries the whole amount and the shops' descriptions.
    """
    currency = request.currency.lower()
    parts = [part for part in request.parts if part.total > 0]
    if parts and sum(part.total for part in parts) == request.amount:
        return [
            {
                "quantity": 1,
                "price_data": {
                    "currency": currency,
                    "unit_amount": part.total,
                    "product_data": {
                        "name": part.shop_name[:250] or "Shop",
                        "description": _part_description(part, request.currency),
                    },
                },
            }
            for part in parts
        ]
    names = ", ".join(part.shop_name for part in request.parts)[:250] or "Order"
    return [
        {
            "quantity": 1,
            "price_data": {
                "currency": currency,
                "unit_amount": request.amount,
                "product_data": {"name": names},
            },
        }
    ]


class StripeProvider:
    """Stripe Checkout on the platform's account (``transfer_group`` = the checkout id)."""

    name = NAME

    def start(self, payment: Payment, request: PaymentRequest) -> PaymentStart:
        checkout_id = str(request.checkout_id)
        metadata = {"checkout_id": checkout_id, "payment_id": str(payment.id)}
        params: dict[str, Any] = {
            "mode": "payment",
            "line_items": line_items(request),
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
            "expires_at": session_expiry(request.expires_at),
            "client_reference_id": checkout_id,
            "metadata": metadata,
            "payment_intent_data": {"transfer_group": checkout_id, "metadata": metadata},
        }
        try:
            session = client().v1.checkout.sessions.create(
                params=params, options={"idempotency_key": session_key(payment)}
            )
        except stripe.StripeError as error:
            current_app.logger.warning("stripe session for payment %s: %s", payment.id, error.code)
            raise PaymentError(UNAVAILABLE) from None
        if payment.provider_ref is None:
            payment.provider_ref = session.id
        return PaymentStart(payment, redirect_url=session.url)

    def retrieve(self, session_id: str) -> Any:
        """The session as Stripe has it now."""
        try:
            return client().v1.checkout.sessions.retrieve(session_id)
        except stripe.StripeError as error:
            current_app.logger.warning("stripe session lookup failed: %s", error.code)
            raise PaymentError(UNAVAILABLE) from None

    def refund(self, payment: Payment, amount: int, *, key: str) -> tuple[str | None, str]:
        if not payment.provider_payment_ref:
            raise PaymentError("This payment cannot be refunded yet: Stripe has not confirmed it.")
        try:
            made = client().v1.refunds.create(
                params={
                    "payment_intent": payment.provider_payment_ref,
                    "amount": amount,
                    "metadata": {"checkout_id": str(payment.checkout_id), "mall_refund": key},
                },
                options={"idempotency_key": refund_key(payment, key)},
            )
        except stripe.StripeError as error:
            current_app.logger.warning("stripe refund for payment %s: %s", payment.id, error.code)
            raise PaymentError("The refund was refused by the card payment service.") from None
        status = {
            "succeeded": RefundStatus.SUCCEEDED,
            "failed": RefundStatus.FAILED,
            "canceled": RefundStatus.FAILED,
        }.get(made.status, RefundStatus.PENDING)
        return made.id, status.value


def construct_event(payload: bytes, signature: str) -> Any:
    """The event, if its signature checks out with ``STRIPE_WEBHOOK_SECRET``; else PaymentError."""
    secret = current_app.config.get("STRIPE_WEBHOOK_SECRET")
    if not secret:
        raise PaymentError("Webhooks are not configured.")
    try:
        return stripe.Webhook.construct_event(payload, signature, secret)
    except (ValueError, stripe.SignatureVerificationError):
        raise PaymentError("The event's signature does not match.") from None
