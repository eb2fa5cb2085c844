"""Moving a payment out of ``pending`` once: the caller whose update changed the row announces it.

The webhook, the customer's return from Stripe and the test provider may all
report the same success; each runs the same conditional UPDATE
(``WHERE status = 'pending'``) and only the one that changed the row sends
``payment_succeeded``. Provider events are stored once per (provider, id), in
the same transaction as their effect.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from mall.db import utcnow
from mall.extensions import db
from mall.payments.models import Payment, PaymentEvent, PaymentStatus
from mall.signals import payment_expired, payment_failed, payment_succeeded

SIGNALS = {
    PaymentStatus.SUCCEEDED: payment_succeeded,
    PaymentStatus.FAILED: payment_failed,
    PaymentStatus.EXPIRED: payment_expired,
}


def settle(payment: Payment, status: PaymentStatus, **values: Any) -> bool:
    """Move ``payment`` from pending to ``status`` and announce it; False when it had moved already.

    ``values`` (e.g. the payment intent) are stored either way when the row has none.
    """
    if status is PaymentStatus.SUCCEEDED:
        values.setdefault("succeeded_at", utcnow())
    changed = db.session.execute(
        sa.update(Payment)
        .where(Payment.id == payment.id, Payment.status == PaymentStatus.PENDING)
        .values(status=status, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(payment)
    if changed != 1:
        remember_payment_intent(payment, values.get("provider_payment_ref"))
        return False
    signal = SIGNALS.get(status)
    if signal is not None:
        signal.send(payment, checkout_id=payment.checkout_id)
    return True


def remember_payment_intent(payment: Payment, intent: str | None) -> None:
    """Store the provider's payment id (for refunds and disputes) when it is not known yet."""
    if intent and not payment.provider_payment_ref:
        payment.provider_payment_ref = intent
        db.session.flush()


def record_event(provider: str, event_id: str, event_type: str) -> bool:
    """Store the provider's event id; False when it was stored before (a replay)."""
    try:
        with db.session.begin_nested():
            db.session.add(PaymentEvent(provider=provider, event_id=event_id, type=event_type))
    except IntegrityError:
        return False
    return True
