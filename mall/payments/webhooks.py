"""Stripe's webhook events: each stored once, then applied (in the same transaction).

A replayed event finds its id stored and changes nothing; an event of a type
Mall does not handle is acknowledged and not stored. Payments are found by
their session id (``provider_ref``) or payment intent (``provider_payment_ref``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from mall.extensions import db
from mall.payments.models import Payment, PaymentRefund, PaymentStatus, RefundStatus
from mall.payments.providers.stripe import NAME as STRIPE
from mall.payments.providers.stripe import construct_event
from mall.payments.settlement import record_event, remember_payment_intent, settle
from mall.signals import (
    payment_dispute_closed,
    payment_dispute_updated,
    payment_disputed,
    payment_refunded,
)

REFUND_STATUS = {
    "succeeded": RefundStatus.SUCCEEDED,
    "pending": RefundStatus.PENDING,
    "requires_action": RefundStatus.PENDING,
    "failed": RefundStatus.FAILED,
    "canceled": RefundStatus.FAILED,
}


def handle_stripe_webhook(payload: bytes, signature: str) -> str:
    """Verify, store once and apply one event; what was done, in a word (for the log).

    Raises PaymentError when the signature does not verify (the view answers 400).
    """
    event = construct_event(payload, signature)
    handler = HANDLERS.get(event.type)
    if handler is None:
        return "ignored"
    if not record_event(STRIPE, event.id, event.type):
        return "replayed"
    handler(event.data.object.to_dict())  # plain dicts from here on
    return "applied"


def _id(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return value.get("id")


def _by_session(session: Any) -> Payment | None:
    return db.session.scalar(
        sa.select(Payment).where(Payment.provider == STRIPE, Payment.provider_ref == session["id"])
    )


def _by_intent(intent: str | None) -> Payment | None:
    if not intent:
        return None
    return db.session.scalar(
        sa.select(Payment).where(Payment.provider == STRIPE, Payment.provider_payment_ref == intent)
    )


def _unknown(kind: str, ref: str | None) -> None:
    current_app.logger.info("stripe %s for no known payment: %s", kind, ref)


def session_completed(session: Any) -> None:
    """Paid at once: succeeded. Paid later (bank debits): keep the intent and wait."""
    payment = _by_session(session)
    if payment is None:
        return _unknown("session", session.get("id"))
    intent = _id(session.get("payment_intent"))
    if session.get("payment_status") in ("paid", "no_payment_required"):
        settle(payment, PaymentStatus.SUCCEEDED, provider_payment_ref=intent)
    else:
        remember_payment_intent(payment, intent)


def async_succeeded(session: Any) -> None:
    payment = _by_session(session)
    if payment is None:
        return _unknown("session", session.get("id"))
    settle(
        payment, PaymentStatus.SUCCEEDED, provider_payment_ref=_id(session.get("payment_intent"))
    )


def async_failed(session: Any) -> None:
    payment = _by_session(session)
    if payment is None:
        return _unknown("session", session.get("id"))
    settle(payment, PaymentStatus.FAILED, provider_payment_ref=_id(session.get("payment_intent")))


def session_expired(session: Any) -> None:
    payment = _by_session(session)
    if payment is None:
        return _unknown("session", session.get("id"))
    settle(payment, PaymentStatus.EXPIRED)


def refund_event(refund: Any) -> None:
    """A refund made or changed (here or on Stripe's dashboard): recorded once by its id."""
    payment = _by_intent(_id(refund.get("payment_intent")))
    if payment is None:
        return _unknown("refund", refund.get("id"))
    _record_refund(payment, refund)


def charge_refunded(charge: Any) -> None:
    """A charge refunded: each of its refunds recorded once (those listed with it)."""
    payment = _by_intent(_id(charge.get("payment_intent")))
    if payment is None:
        return _unknown("charge", charge.get("id"))
    refunds = (charge.get("refunds") or {}).get("data") or []
    for refund in refunds:
        _record_refund(payment, refund)
    if not refunds and charge.get("amount_refunded", 0) > payment.refunded_amount:
        # No list sent: record what Stripe's total says is missing, keyed by that total.
        total = int(charge["amount_refunded"])
        _record_refund(
            payment,
            {
                "id": f"{charge['id']}:refunded:{total}",
                "amount": total - payment.refunded_amount,
                "status": "succeeded",
            },
        )


def _record_refund(payment: Payment, refund: Any) -> None:
    status = REFUND_STATUS.get(refund.get("status"), RefundStatus.PENDING)
    known = db.session.scalar(
        sa.select(PaymentRefund).where(PaymentRefund.provider_ref == refund["id"])
    )
    if known is not None:
        if known.status is not status and known.status is not RefundStatus.MANUAL:
            known.status = status  # e.g. pending -> succeeded, or failed
            db.session.flush()
        return
    if status is RefundStatus.FAILED:
        return
    amount = int(refund.get("amount") or 0)
    # A refund Mall asked for carries its key: the event may arrive before the request's
    # own transaction commits. Stored under that key, the two meet on one row, and the
    # back office (not this event) records it on the order.
    mall_key = ((refund.get("metadata") or {}).get("mall_refund") or "")[:255]
    try:
        with db.session.begin_nested():
            db.session.add(
                PaymentRefund(
                    payment_id=payment.id,
                    amount=amount,
                    status=status,
                    idempotency_key=mall_key or f"stripe:{refund['id']}"[:255],
                    provider_ref=refund["id"],
                    reason="Refunded through Mall" if mall_key else "Refunded on Stripe",
                )
            )
            db.session.flush()
    except IntegrityError:
        return
    added = Payment.refunded_amount + amount
    db.session.execute(
        sa.update(Payment)
        .where(Payment.id == payment.id)
        .values(refunded_amount=sa.case((added > Payment.amount, Payment.amount), else_=added))
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(payment)
    if mall_key:
        return
    payment_refunded.send(
        payment, checkout_id=payment.checkout_id, amount=amount, provider_ref=refund["id"]
    )


def dispute_created(dispute: Any) -> None:
    """A customer disputed the charge: announced once (the ledger and the shops act on it)."""
    payment = _by_intent(_id(dispute.get("payment_intent")))
    if payment is None:
        return _unknown("dispute", dispute.get("id"))
    payment_disputed.send(
        payment,
        checkout_id=payment.checkout_id,
        amount=int(dispute.get("amount") or 0),
        provider_ref=dispute["id"],
    )
    payment_dispute_updated.send(payment, **_dispute_facts(payment, dispute))


def _dispute_facts(payment: Payment, dispute: Any) -> dict[str, Any]:
    """What the ledger needs of a dispute: plain values (its deadline as a Unix time)."""
    due_by = (dispute.get("evidence_details") or {}).get("due_by")
    return {
        "checkout_id": payment.checkout_id,
        "provider_ref": dispute["id"],
        "amount": int(dispute.get("amount") or 0),
        "status": str(dispute.get("status") or "needs_response"),
        "reason": str(dispute.get("reason") or "")[:64],
        "evidence_due_by": int(due_by) if due_by else None,
    }


def dispute_changed(dispute: Any) -> None:
    """A dispute updated (status, deadline) or closed (won or lost): announced with its facts."""
    payment = _by_intent(_id(dispute.get("payment_intent")))
    if payment is None:
        return _unknown("dispute", dispute.get("id"))
    facts = _dispute_facts(payment, dispute)
    if facts["status"] in ("won", "lost", "warning_closed"):
        payment_dispute_closed.send(payment, **facts)
    else:
        payment_dispute_updated.send(payment, **facts)


HANDLERS: dict[str, Callable[[Any], None]] = {
    "checkout.session.completed": session_completed,
    "checkout.session.async_payment_succeeded": async_succeeded,
    "checkout.session.async_payment_failed": async_failed,
    "checkout.session.expired": session_expired,
    "refund.created": refund_event,
    "refund.updated": refund_event,
    "charge.refunded": charge_refunded,
    "charge.dispute.created": dispute_created,
    "charge.dispute.updated": dispute_changed,
    "charge.dispute.closed": dispute_changed,
}


def register_handler(event_type: str, handler: Callable[[Any], None]) -> None:
    """Let a higher layer handle a Stripe event type of its own (e.g. ``transfer.reversed``)."""
    HANDLERS.setdefault(event_type, handler)
