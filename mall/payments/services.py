"""Payments: the contract the checkout calls, and the shops' payment settings.

- ``available_methods(tenant_ids)``: the platform's enabled providers, plus bank
  transfer and offline card when every shop in the cart accepts them.
- ``start_payment(request, method=…)``: one payment per (checkout, attempt);
  Stripe answers with its hosted page, the test provider pays at once,
  bank transfer and offline card wait for the shops.
- ``confirm_stripe_return(checkout_id, session_id)``: the success URL's check.
- ``refund(checkout_id, amount, reason=…, key=…)``: once per key.
- ``parse_card`` / ``store_offline_card``: the offline card (``offline_cards``).

Success, failure and expiry are announced with ``mall.signals`` by the one
caller whose conditional update moved the payment (``settlement.settle``).
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from mall.extensions import db
from mall.payments.contract import PaymentMethod, PaymentPart, PaymentRequest, PaymentStart
from mall.payments.errors import PaymentError
from mall.payments.models import (
    Payment,
    PaymentRefund,
    PaymentSettings,
    PaymentStatus,
    RefundStatus,
)
from mall.payments.offline_cards import CardDetails, parse_card, store_offline_card
from mall.payments.providers import (
    BANK_TRANSFER,
    OFFLINE_CARD,
    STRIPE,
    TEST,
    PaymentProvider,
    enabled_platform_providers,
)
from mall.payments.providers.simple import ManualProvider, TestProvider
from mall.payments.providers.stripe import StripeProvider
from mall.payments.settlement import remember_payment_intent, settle
from tenants.context import all_tenants

__all__ = [
    "CardDetails",
    "PaymentError",
    "PaymentMethod",
    "PaymentPart",
    "PaymentRequest",
    "PaymentStart",
    "available_methods",
    "confirm_stripe_return",
    "parse_card",
    "refund",
    "start_payment",
    "store_offline_card",
]

METHODS = {
    STRIPE: PaymentMethod(STRIPE, "Card", "Pay securely on Stripe's page."),
    TEST: PaymentMethod(
        TEST, "Test payment", "Marks the order paid at once; no money moves.", test_mode=True
    ),
    BANK_TRANSFER: PaymentMethod(
        BANK_TRANSFER,
        "Bank transfer",
        "Each shop sends its bank details; your order ships once the money arrives.",
    ),
    OFFLINE_CARD: PaymentMethod(
        OFFLINE_CARD,
        "Card, charged by the shop",
        "Each shop charges its part on its own card terminal.",
    ),
}
NOT_OFFERED = "This payment method is not available: choose another one."


def provider(name: str) -> PaymentProvider:
    """The provider called ``name``."""
    if name == STRIPE:
        return StripeProvider()
    if name == TEST:
        return TestProvider()
    if name in (BANK_TRANSFER, OFFLINE_CARD):
        return ManualProvider(name)
    raise PaymentError(NOT_OFFERED)


def available_methods(tenant_ids: Iterable[UUID]) -> list[PaymentMethod]:
    """The methods offered for a cart of these shops (two queries, whatever the number of shops).

    Stripe when configured and enabled, test payments when enabled and not in
    production, then bank transfer / offline card when every one of the shops
    accepts them.
    """
    methods = [METHODS[name] for name in enabled_platform_providers()]
    wanted = set(tenant_ids)
    if not wanted:
        return methods
    with all_tenants("payments: the payment methods every shop in a cart accepts"):
        rows = list(
            db.session.scalars(
                sa.select(PaymentSettings).where(PaymentSettings.tenant_id.in_(sorted(wanted)))
            )
        )
    by_shop = {row.tenant_id: row for row in rows}
    if set(by_shop) != wanted:
        return methods  # a shop that never set anything accepts the platform's providers only
    if all(row.bank_transfer_enabled for row in rows):
        methods.append(METHODS[BANK_TRANSFER])
    if all(row.offline_card_enabled for row in rows):
        methods.append(METHODS[OFFLINE_CARD])
    return methods


def bank_instructions(tenant_ids: Iterable[UUID]) -> dict[UUID, str]:
    """Each shop's bank transfer instructions (for the confirmation page and email)."""
    with all_tenants("payments: the bank instructions of the shops of one checkout"):
        rows = db.session.scalars(
            sa.select(PaymentSettings).where(PaymentSettings.tenant_id.in_(sorted(set(tenant_ids))))
        )
        return {row.tenant_id: row.bank_instructions for row in rows}


def payment_of(checkout_id: UUID, attempt: int) -> Payment | None:
    return db.session.scalar(
        sa.select(Payment).where(Payment.checkout_id == checkout_id, Payment.attempt == attempt)
    )


def _payment_for(request: PaymentRequest, method: str) -> Payment:
    """The (checkout, attempt)'s payment, made now when there is none (a race finds the other)."""
    existing = payment_of(request.checkout_id, request.attempt)
    if existing is not None:
        return existing
    try:
        with db.session.begin_nested():
            payment = Payment(
                checkout_id=request.checkout_id,
                attempt=request.attempt,
                provider=method,
                amount=request.amount,
                currency=request.currency.upper(),
            )
            db.session.add(payment)
    except IntegrityError:
        found = payment_of(request.checkout_id, request.attempt)
        if found is None:
            raise
        return found
    return payment


def start_payment(request: PaymentRequest, *, method: str) -> PaymentStart:
    """Start paying ``request`` with ``method``; idempotent per (checkout, attempt).

    Returns the Payment and either ``redirect_url`` (Stripe's hosted page: the same
    session again on a repeat, through its idempotency key), ``completed=True``
    (test provider: the payment succeeded and ``payment_succeeded`` was sent, once)
    or ``awaiting=True`` (bank transfer, offline card). Raises PaymentError.
    """
    if method in (STRIPE, TEST) and method not in enabled_platform_providers():
        raise PaymentError(NOT_OFFERED)
    if request.amount <= 0:
        raise PaymentError("There is nothing to pay.")
    payment = _payment_for(request, method)
    if payment.provider != method:
        raise PaymentError("This checkout's payment was started with another method.")
    if payment.status is PaymentStatus.SUCCEEDED:
        return PaymentStart(payment, completed=True)
    if payment.status is not PaymentStatus.PENDING:
        raise PaymentError("This payment attempt is over: start the checkout again.")
    started = provider(method).start(payment, request)
    db.session.flush()
    if started.completed:
        settle(payment, PaymentStatus.SUCCEEDED)
    return started


def resume_url(checkout_id: UUID) -> str | None:
    """Where to send a customer who placed the checkout again: its Stripe page while open.

    None when the payment is not Stripe's, is settled, or its session is over.
    """
    payment = payment_of(checkout_id, 1)
    if payment is None or payment.provider != STRIPE or not payment.provider_ref:
        return None
    if payment.status is not PaymentStatus.PENDING:
        return None
    session = StripeProvider().retrieve(payment.provider_ref).to_dict()
    return session.get("url") if session.get("status") == "open" else None


def confirm_stripe_return(checkout_id: UUID, session_id: str) -> Payment:
    """The customer is back from Stripe: ask Stripe about the session and settle once.

    A paid session marks the payment succeeded and sends ``payment_succeeded``
    (unless the webhook did first). A session still processing (a slow payment
    method) leaves it pending. Raises PaymentError for a session that is not this
    checkout's or was not paid.
    """
    payment = db.session.scalar(
        sa.select(Payment).where(
            Payment.checkout_id == checkout_id,
            Payment.provider == STRIPE,
            Payment.provider_ref == (session_id or "")[:255],
        )
    )
    if payment is None:
        raise PaymentError("We could not find this payment: please check your email or try again.")
    if payment.status is PaymentStatus.SUCCEEDED:
        return payment
    session = StripeProvider().retrieve(session_id).to_dict()
    intent = _id_of(session.get("payment_intent"))
    if session.get("payment_status") in ("paid", "no_payment_required"):
        settle(payment, PaymentStatus.SUCCEEDED, provider_payment_ref=intent)
        return payment
    remember_payment_intent(payment, intent)
    if session.get("status") == "complete":
        return payment  # paid by a method that settles later: the webhook will tell
    raise PaymentError("The payment was not completed: you can try again from your cart.")


def _id_of(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return getattr(value, "id", None)


def refund(checkout_id: UUID, amount: int, *, reason: str, key: str) -> PaymentRefund:
    """Give back ``amount`` of the checkout's payment; once per ``key`` (a repeat returns it).

    Stripe refunds through its API (idempotency key from ``key``); test payments
    are refunded at once; bank transfer and offline card are recorded as manual,
    for the shop to pay back. Raises PaymentError when there is no payment or the
    amount is more than what is left. ``payment_refunded`` is not sent for it (the
    caller knows); it is sent for refunds made elsewhere (Stripe's dashboard).
    """
    existing = db.session.scalar(
        sa.select(PaymentRefund).where(PaymentRefund.idempotency_key == key)
    )
    if existing is not None:
        return existing
    payment = db.session.scalar(
        sa.select(Payment)
        .where(Payment.checkout_id == checkout_id, Payment.status == PaymentStatus.SUCCEEDED)
        .order_by(Payment.attempt.desc())
        .limit(1)
    )
    if payment is None:
        raise PaymentError("This checkout has no payment to refund.")
    if not 0 < amount <= payment.amount - payment.refunded_amount:
        raise PaymentError("The refund is more than what is left of the payment.")
    # The provider first: its idempotency key makes a retry after a failure here safe.
    provider_ref, status = provider(payment.provider).refund(payment, amount, key=key)
    try:
        with db.session.begin_nested():
            made = PaymentRefund(
                payment_id=payment.id,
                amount=amount,
                status=RefundStatus(status),
                idempotency_key=key,
                provider_ref=provider_ref,
                reason=reason[:300],
            )
            db.session.add(made)
            db.session.flush()
            if not _add_refunded(payment, amount):
                raise PaymentError("The refund is more than what is left of the payment.")
    except IntegrityError:
        again = db.session.scalar(
            sa.select(PaymentRefund).where(
                sa.or_(
                    PaymentRefund.idempotency_key == key,
                    PaymentRefund.provider_ref == provider_ref,
                )
            )
        )
        if again is None:
            raise
        return again
    return made


def _add_refunded(payment: Payment, amount: int) -> bool:
    """Add to the refunded total, never beyond the amount paid (one conditional update)."""
    changed = db.session.execute(
        sa.update(Payment)
        .where(Payment.id == payment.id, Payment.refunded_amount + amount <= Payment.amount)
        .values(refunded_amount=Payment.refunded_amount + amount)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(payment)
    return changed == 1


# ---------------------------------------------------------------- the shop's settings


def shop_settings() -> PaymentSettings:
    """The settings of the shop in context (defaults, unsaved, when it never set any)."""
    row = db.session.scalar(sa.select(PaymentSettings))
    return row or PaymentSettings(
        bank_transfer_enabled=False, bank_instructions="", offline_card_enabled=False
    )


def update_shop_settings(
    settings: PaymentSettings,
    *,
    bank_transfer_enabled: bool,
    bank_instructions: str,
    offline_card_enabled: bool,
) -> PaymentSettings:
    """Save the shop's payment settings; bank transfer needs instructions to show customers."""
    instructions = (bank_instructions or "").strip()
    if bank_transfer_enabled and not instructions:
        raise PaymentError("Bank transfer needs instructions: your bank details and a reference.")
    settings.bank_transfer_enabled = bank_transfer_enabled
    settings.bank_instructions = instructions
    settings.offline_card_enabled = offline_card_enabled
    if settings not in db.session:
        db.session.add(settings)
    db.session.flush()
    return settings
