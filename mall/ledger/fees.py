"""Stripe's processing fee: fetched once per payment, posted, and who bears it on a refund.

When a Stripe payment succeeds, a job (ids only) reads the fee from the charge's
balance transaction, stores it on the payment and posts it once (key
``fee:<payment>``): ``Dr processor_fees, Cr processor`` — Stripe keeps it out of
what it holds for the mall. The platform pays it.

Stripe does not give the fee back when a charge is refunded. The platform
setting ``payments.refund_fee_bearer`` says who bears the part of the fee that
belongs to the refunded money: ``platform`` (the default: nothing more is
posted) or ``shop``: each refund through Stripe posts the order's share of the
fee for the amount refunded (``Dr shop_pending/shop_available, Cr
processor_fees``, line kind ``processor_fee``; key ``refund_fee:<refund>``),
cumulatively so that refunding an order in parts charges exactly what refunding
it at once would. A refund made before the fee is known charges nothing.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import sqlalchemy as sa
import stripe
from flask import current_app

from mall.extensions import db
from mall.jobs import enqueue_after_commit, job
from mall.ledger.errors import LedgerError
from mall.ledger.models import Account, EntryKind, LedgerEntry
from mall.ledger.posting import credit, debit, post
from mall.ledger.sales import shop_account
from mall.money import format_money, proportion
from mall.orders.models import Order, OrderRefund
from mall.payments.errors import PaymentError
from mall.payments.models import Payment
from mall.payments.providers import STRIPE
from mall.payments.providers.stripe import client as stripe_client
from mall.signals import order_refunded, payment_succeeded
from tenants.audit import record_audit
from tenants.guard import scoped_get
from tenants.settings import get_setting, put_setting

SETTING = "payments.refund_fee_bearer"
BEARERS = {"platform": "The platform", "shop": "The shop that refunds"}


def refund_fee_bearer() -> str:
    """Who bears Stripe's fee on refunded money: ``platform`` or ``shop``."""
    value = get_setting(SETTING, "platform")
    return value if value in BEARERS else "platform"


def set_refund_fee_bearer(
    bearer: str, *, actor_id: UUID | None, ip_address: str | None = None
) -> bool:
    """Change the policy (for refunds from now on), audited; False when it already was so."""
    if bearer not in BEARERS:
        raise LedgerError("Choose the platform or the shop.")
    if refund_fee_bearer() == bearer:
        return False
    put_setting(SETTING, bearer)
    record_audit(
        "setting.refund_fee_bearer",
        actor_id=actor_id,
        ip_address=ip_address,
        target_type="setting",
        target_id=SETTING,
        details={"bearer": bearer},
    )
    return True


# ---------------------------------------------------------------- the fee of a payment


def on_payment_succeeded(payment: Payment, **_: Any) -> None:
    """A Stripe payment succeeded: fetch its fee after commit (a call to Stripe: a job)."""
    if payment.provider == STRIPE and payment.fee is None:
        enqueue_after_commit(fetch_fee, str(payment.id))


@job()
def fetch_fee(payment_id: str) -> None:
    """Read the fee of the payment's charge from Stripe and post it (once)."""
    payment = db.session.get(Payment, UUID(payment_id))
    if payment is None or payment.fee is not None or not payment.provider_payment_ref:
        return
    fee = charge_fee(payment.provider_payment_ref)
    if fee is not None:
        record_fee(payment, fee)


def charge_fee(intent_id: str) -> int | None:
    """The fee Stripe took on the payment intent's charge (None: not known yet)."""
    try:
        intent = stripe_client().v1.payment_intents.retrieve(intent_id)
        charge_id = intent.latest_charge
        if not charge_id:
            return None
        if not isinstance(charge_id, str):
            charge_id = charge_id.id
        charge = stripe_client().v1.charges.retrieve(
            charge_id, params={"expand": ["balance_transaction"]}
        )
    except (stripe.StripeError, PaymentError) as error:
        code = getattr(error, "code", None) or type(error).__name__
        current_app.logger.warning("stripe fee of %s: %s", intent_id, code)
        raise  # the job is retried
    transaction = charge.balance_transaction
    if transaction is None or isinstance(transaction, str):
        return None
    return int(transaction.fee)


def record_fee(payment: Payment, fee: int) -> LedgerEntry | None:
    """Store the fee on the payment and post it, once (a second call changes nothing)."""
    db.session.execute(
        sa.update(Payment)
        .where(Payment.id == payment.id, Payment.fee.is_(None))
        .values(fee=fee)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(payment)
    return post(
        EntryKind.FEE,
        [
            debit(Account.PROCESSOR_FEES, payment.fee or 0, kind="processor_fee"),
            credit(Account.PROCESSOR, payment.fee or 0, kind="processor_fee"),
        ],
        key=f"fee:{payment.id}",
        ref_type="checkout",
        ref_id=payment.checkout_id,
        memo=f"Stripe's fee on the payment: {format_money(payment.fee or 0)}",
    )


# ---------------------------------------------------------------- refunds


def on_order_refunded(order: Order, *, refund_id: Any, **_: Any) -> None:
    """The shop bears the refunded money's share of Stripe's fee, when the policy says so."""
    if refund_fee_bearer() != "shop":
        return
    refund = scoped_get(OrderRefund, refund_id)
    if refund is None or refund.manual or refund.payment_refund_id is None:
        return
    payment = db.session.scalar(
        sa.select(Payment)
        .where(Payment.checkout_id == order.checkout_id, Payment.fee.is_not(None))
        .order_by(Payment.attempt.desc())
        .limit(1)
    )
    if payment is None or not payment.fee or not payment.amount:
        return
    after = _refunded_through_stripe(order)  # this refund included (it is flushed)
    before = after - refund.amount
    share = proportion(payment.fee, after, payment.amount) - proportion(
        payment.fee, before, payment.amount
    )
    mine = {"shop_id": order.tenant_id, "order_id": order.id, "kind": "processor_fee"}
    post(
        EntryKind.FEE,
        [
            debit(shop_account(order), share, **mine),
            credit(Account.PROCESSOR_FEES, share, order_id=order.id, kind="processor_fee"),
        ],
        key=f"refund_fee:{refund.id}",
        ref_type="refund",
        ref_id=refund.id,
        shop_id=order.tenant_id,
        memo=f"{order.number}: Stripe's fee kept on the refund ({format_money(share)})",
    )


def _refunded_through_stripe(order: Order) -> int:
    """What the order's refunds gave back through the processor (manual ones excluded)."""
    total = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(OrderRefund.amount), 0)).where(
            OrderRefund.order_id == order.id,
            OrderRefund.manual.is_(False),
            OrderRefund.payment_refund_id.is_not(None),
        )
    )
    return int(total or 0)


def connect() -> None:
    """Subscribe to payments that succeed and orders refunded."""
    payment_succeeded.connect(on_payment_succeeded)
    order_refunded.connect(on_order_refunded)
