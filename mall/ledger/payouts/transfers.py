"""Stripe's side of a payout: the transfer, and taking money back from it.

- ``send_payout`` (a job after the run's commit, in the shop's context) makes the
  payout's one transfer to the shop's Connect account: ``amount`` the order's
  part less the debts netted into it, ``transfer_group`` the checkout,
  ``source_transaction`` the checkout's charge (the payment intent's
  ``latest_charge``, asked of Stripe once and stored on the item), so a transfer
  never spends money that was not captured for that order. Its idempotency key
  is the payout item's: a retried job gets the first transfer back. Stripe
  refusing it fails the payout (its parts are available again); Stripe not
  answering raises, and the job is retried with the same key.
- ``reverse_after_refund`` (a job after a refund of an order already paid out):
  asks Stripe to reverse the refunded part of the order's transfer (key per refund
  and item). Refused (the shop's Stripe balance cannot cover it): recorded,
  nothing posted, and the shop's negative available balance is the debt the next
  payout nets.
- ``transfer_reversed`` (Stripe's ``transfer.reversed`` event): records each
  reversal once, whether Mall asked for it or someone did on Stripe's dashboard;
  a transfer reversed in full by someone else is a returned payout.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import sqlalchemy as sa
import stripe
from flask import current_app
from sqlalchemy.exc import IntegrityError

from mall.db import utcnow
from mall.extensions import db
from mall.ledger.errors import LedgerError
from mall.ledger.models import (
    Account,
    Payout,
    PayoutItem,
    PayoutMethod,
    PayoutStatus,
    TransferReversal,
)
from mall.ledger.payouts import entries
from mall.ledger.payouts.manual import get_payout, items_of
from mall.ledger.posting import balance
from mall.orders.models import OrderRefund
from mall.payments.errors import PaymentError
from mall.payments.models import Payment, PaymentStatus
from mall.payments.providers.stripe import NAME as STRIPE
from mall.payments.providers.stripe import client
from tenants.context import tenant_context

# Stripe did not answer (or asked to slow down): try again later with the same key.
TRANSIENT = (stripe.APIConnectionError, stripe.RateLimitError)


class StripeUnavailable(LedgerError):
    """Stripe did not answer; the job is retried with the same idempotency key."""


def main_item(items: list[PayoutItem]) -> PayoutItem | None:
    """The item a Stripe payout transfers for (the others are debts netted into it)."""
    return next((item for item in items if item.amount > 0), None)


def transfer_key(item: PayoutItem) -> str:
    return f"mall-payout-item-{item.id.hex}-transfer"


# ---------------------------------------------------------------- sending


def charge_of(checkout_id: UUID | None) -> str | None:
    """The charge of the checkout's Stripe payment (None: not paid through Stripe).

    Read from an earlier item of this shop when one stored it, else asked of Stripe.
    """
    if checkout_id is None:
        return None
    known = db.session.scalar(
        sa.select(PayoutItem.source_transaction)
        .where(PayoutItem.checkout_id == checkout_id, PayoutItem.source_transaction.is_not(None))
        .limit(1)
    )
    if known:
        return known
    intent = db.session.scalar(
        sa.select(Payment.provider_payment_ref)
        .where(
            Payment.checkout_id == checkout_id,
            Payment.provider == STRIPE,
            Payment.status == PaymentStatus.SUCCEEDED,
        )
        .order_by(Payment.attempt.desc())
        .limit(1)
    )
    if not intent:
        return None
    charge = client().v1.payment_intents.retrieve(intent).to_dict().get("latest_charge")
    return charge if isinstance(charge, str) or charge is None else charge.get("id")


def _transfer_params(payout: Payout, item: PayoutItem) -> dict[str, Any]:
    params: dict[str, Any] = {
        "amount": payout.amount,
        "currency": payout.currency.lower(),
        "destination": payout.stripe_account_id,
        "metadata": {"shop_id": str(payout.tenant_id), "payout_id": str(payout.id)},
        "description": f"Mall payout {entries.reference(payout)}",
    }
    if item.order_id is not None:
        params["metadata"]["order_id"] = str(item.order_id)
    if item.checkout_id is not None:
        params["transfer_group"] = str(item.checkout_id)
    if item.source_transaction:
        params["source_transaction"] = item.source_transaction
    return params


def send_payout(payout: Payout) -> bool:
    """Make the payout's Stripe transfer (once); False when there was nothing to send.

    Raises StripeUnavailable when Stripe did not answer (retry later, same key).
    """
    if payout.method is not PayoutMethod.STRIPE or payout.status is not PayoutStatus.PENDING:
        return False
    items = items_of(payout)
    item = main_item(items)
    if item is None:
        return False
    try:
        if item.source_transaction is None:
            item.source_transaction = charge_of(item.checkout_id)
            db.session.flush()
        made = client().v1.transfers.create(
            params=_transfer_params(payout, item), options={"idempotency_key": transfer_key(item)}
        )
    except TRANSIENT as error:
        raise StripeUnavailable("Stripe did not answer: the transfer is tried again.") from error
    except (stripe.StripeError, PaymentError) as refused:
        reason = getattr(refused, "user_message", None) or str(refused)
        fail_payout(payout, items, reason=f"Stripe refused the transfer: {reason}"[:300])
        return False
    item.stripe_transfer_id = made.id
    db.session.flush()
    if _move(
        payout,
        (PayoutStatus.PENDING,),
        status=PayoutStatus.PAID,
        sent_at=utcnow(),
        paid_at=utcnow(),
    ):
        entries.post_paid(payout)
    return True


def _move(payout: Payout, sources: tuple[PayoutStatus, ...], **values: Any) -> bool:
    changed = db.session.execute(
        sa.update(Payout)
        .where(
            Payout.tenant_id == payout.tenant_id, Payout.id == payout.id, Payout.status.in_(sources)
        )
        .values(updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(payout)
    return changed == 1


def fail_payout(payout: Payout, items: list[PayoutItem], *, reason: str) -> bool:
    """Nothing was paid: the payout failed and its parts are available again (once)."""
    values = {"status": PayoutStatus.FAILED, "failed_at": utcnow(), "failure_reason": reason}
    if not _move(payout, (PayoutStatus.PENDING, PayoutStatus.SENT), **values):
        return False
    entries.post_failed(payout, items, reason)
    current_app.logger.info("payout %s failed", payout.id)
    return True


# ---------------------------------------------------------------- reversals


def order_owed(order_id: UUID, shop_id: UUID) -> int:
    """What the mall owes the shop on one order's available part (negative: a debt)."""
    return -balance(Account.SHOP_AVAILABLE, shop_id=shop_id, order_id=order_id)


def transferred_items(order_id: UUID) -> list[tuple[Payout, PayoutItem]]:
    """The order's paid Stripe transfers (shop in context), newest first."""
    rows = db.session.execute(
        sa.select(Payout, PayoutItem)
        .join(PayoutItem, PayoutItem.payout_id == Payout.id)
        .where(
            PayoutItem.order_id == order_id,
            PayoutItem.stripe_transfer_id.is_not(None),
            Payout.status == PayoutStatus.PAID,
        )
        .order_by(Payout.created_at.desc())
    ).all()
    return [(payout, item) for payout, item in rows]


def needs_reversal(order_id: UUID, shop_id: UUID) -> bool:
    """True when the order owes money and a transfer of it could give some back."""
    return order_owed(order_id, shop_id) < 0 and any(
        payout.amount > item.reversed_amount for payout, item in transferred_items(order_id)
    )


def reverse_after_refund(refund: OrderRefund) -> list[TransferReversal]:
    """Take the refunded part back from the order's transfers (shop in context), once per
    refund and transfer. Refused: recorded, nothing posted; the debt stays to be netted.

    Raises StripeUnavailable when Stripe did not answer (the job retries).
    """
    done = []
    for payout, item in transferred_items(refund.order_id):
        debt = -order_owed(refund.order_id, payout.tenant_id)
        room = payout.amount - item.reversed_amount
        if debt <= 0:
            break
        if room <= 0:
            continue
        key = f"refund:{refund.id}:{item.id}"
        found = _reversal_by_key(key)
        if found is not None:
            done.append(found)
            if not found.succeeded:
                break  # Stripe refused: do not ask again for this refund
            continue
        made = _ask_reversal(payout, item, min(debt, room), key, refund)
        done.append(made)
        if not made.succeeded:
            break
    return done


def _reversal_by_key(key: str) -> TransferReversal | None:
    return db.session.scalar(
        sa.select(TransferReversal).where(TransferReversal.idempotency_key == key)
    )


def _ask_reversal(
    payout: Payout, item: PayoutItem, amount: int, key: str, refund: OrderRefund
) -> TransferReversal:
    try:
        made = client().v1.transfers.reversals.create(
            item.stripe_transfer_id,
            params={"amount": amount, "metadata": {"mall_key": key, "refund_id": str(refund.id)}},
            options={"idempotency_key": f"mall-{key.replace(':', '-')}"[:255]},
        )
    except TRANSIENT as error:
        raise StripeUnavailable("Stripe did not answer: the reversal is tried again.") from error
    except (stripe.StripeError, PaymentError) as refused:
        reason = getattr(refused, "user_message", None) or str(refused)
        return _record(item, refund_id=refund.id, amount=amount, key=key, failure=reason)
    row = _record(item, refund_id=refund.id, amount=amount, key=key, reversal_id=made.id)
    memo = f"Refund {refund.id.hex[-8:]}: taken back from transfer {item.stripe_transfer_id}"
    entries.post_reversal(payout, item.order_id, row.amount, made.id, memo)
    return row


def _record(
    item: PayoutItem,
    *,
    refund_id: UUID | None,
    amount: int,
    key: str,
    reversal_id: str | None = None,
    failure: str = "",
) -> TransferReversal:
    """Store a reversal once (by key, or by Stripe's id); the item's reversed total follows."""
    try:
        with db.session.begin_nested():
            row = TransferReversal(
                tenant_id=item.tenant_id,
                payout_item_id=item.id,
                refund_id=refund_id,
                amount=amount,
                succeeded=reversal_id is not None,
                stripe_reversal_id=reversal_id,
                failure=failure[:300],
                idempotency_key=key[:200],
            )
            db.session.add(row)
            db.session.flush()
    except IntegrityError:
        row = _reversal_by_key(key) or db.session.scalar(
            sa.select(TransferReversal).where(TransferReversal.stripe_reversal_id == reversal_id)
        )
        if row is None:
            raise
    _sum_reversed(item)
    return row


def _sum_reversed(item: PayoutItem) -> None:
    total = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(TransferReversal.amount), 0)).where(
            TransferReversal.payout_item_id == item.id, TransferReversal.succeeded.is_(True)
        )
    )
    item.reversed_amount = int(total or 0)
    db.session.flush()


def transfer_reversed(transfer: dict[str, Any]) -> str:
    """Stripe's ``transfer.reversed``: each reversal recorded and posted once."""
    metadata = transfer.get("metadata") or {}
    try:
        shop_id = UUID(metadata.get("shop_id") or "")
    except ValueError:
        return "unknown"
    with tenant_context(shop_id):
        item = db.session.scalar(
            sa.select(PayoutItem).where(PayoutItem.stripe_transfer_id == transfer.get("id"))
        )
        payout = get_payout(item.payout_id) if item is not None else None
        if item is None or payout is None:
            return "unknown"
        for reversal in (transfer.get("reversals") or {}).get("data") or []:
            _record_reported(payout, item, reversal)
        if not item.reversed_amount < payout.amount and not _asked_by_mall(item):
            _move(
                payout,
                (PayoutStatus.PAID,),
                status=PayoutStatus.FAILED,
                failed_at=utcnow(),
                failure_reason="The transfer was reversed on Stripe.",
            )
    return "applied"


def _record_reported(payout: Payout, item: PayoutItem, reversal: dict[str, Any]) -> None:
    reversal_id = reversal.get("id")
    if not reversal_id:
        return
    key = (reversal.get("metadata") or {}).get("mall_key") or f"stripe:{reversal_id}"
    refund_id = _refund_of(key)
    row = _record(
        item,
        refund_id=refund_id,
        amount=int(reversal.get("amount") or 0),
        key=key,
        reversal_id=reversal_id,
    )
    if row.succeeded and row.stripe_reversal_id == reversal_id:
        memo = f"Transfer {item.stripe_transfer_id} reversed on Stripe"
        entries.post_reversal(payout, item.order_id, row.amount, reversal_id, memo)


def _refund_of(key: str) -> UUID | None:
    """The refund a reversal Mall asked for names in its key (``refund:<refund>:<item>``)."""
    kind, _, rest = key.partition(":")
    try:
        return UUID(rest.split(":")[0]) if kind == "refund" else None
    except ValueError:
        return None


def _asked_by_mall(item: PayoutItem) -> bool:
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(TransferReversal)
            .where(
                TransferReversal.payout_item_id == item.id, TransferReversal.refund_id.is_not(None)
            )
        )
        > 0
    )
