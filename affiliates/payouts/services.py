"""Paying affiliates: the operator's batches, PayPal payouts marked paid, payouts that failed.

``make_batch`` runs once per ``batch_key`` (the form's): it locks the ledger's chain (no
commission is approved or clawed back while it reads), then gives every payable affiliate
one payout of their whole available balance, settles the approved commissions and
clawbacks behind it (status paid, ``payout_id``), and posts "made". A payout goes by Stripe
transfer to a connected account whose transfers Stripe has enabled (a job after the commit:
``transfers.send_transfer``), otherwise in the batch's PayPal CSV, which the operator
uploads to PayPal and then marks paid (``mark_batch_paid``, each payout posted once).

A payout that failed gives the money back to the affiliate's available balance, and its
commissions go back to approved with ``payout_id`` cleared: the next batch pays them again,
and the approved commissions always add up to the available balance. A PayPal payout that
was marked paid and came back (unclaimed) is "returned" the same way. A Stripe payout fails
only through Stripe (a refused transfer), never by hand: a retried job could still send it.

An affiliate who deleted their account has no payout email: their PayPal payout is not in
the CSV, so "mark the batch paid" leaves it to the operator, who marks it paid
(``mark_payout_paid``) or failed. Failed or returned, its commissions go back to the shops
at once (``forfeit_unpaid``): nobody is left to pay them to.

Every step is a conditional UPDATE from the status it leaves, so a double click changes
nothing the second time; each posting has its own key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from affiliates.commissions.forfeits import forfeit_unpaid
from affiliates.errors import AffiliateError
from affiliates.models import (
    Affiliate,
    AffiliateCommission,
    AffiliatePayout,
    AffiliatePayoutBatch,
    AffiliatePayoutStatus,
    BatchStatus,
    CommissionStatus,
    PayoutMethod,
)
from affiliates.payouts import entries, jobs
from affiliates.payouts.queries import payable_affiliates
from mall.db import utcnow
from mall.extensions import db
from mall.jobs import enqueue_after_commit
from mall.ledger.models import Account
from mall.ledger.posting import balance, lock_chain
from tenants.audit import record_audit
from tenants.context import all_tenants

KEY_MAX = 64
REASON_MAX = 300


@dataclass
class BatchResult:
    """What ``make_batch`` did: the batch, whether this call made it, who was left out."""

    batch: AffiliatePayoutBatch
    made: bool
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> affiliates


def _commissions(where: list[Any], values: dict[str, Any]) -> int:
    """One UPDATE of an affiliate's commissions in every shop that owes them."""
    with all_tenants("affiliate payouts: mark the commissions a payout settles"):
        return db.session.execute(
            sa.update(AffiliateCommission)
            .where(*where)
            .values(**values)
            .execution_options(synchronize_session=False)
        ).rowcount


def _batch_by_key(key: str) -> AffiliatePayoutBatch | None:
    return db.session.scalar(
        sa.select(AffiliatePayoutBatch).where(AffiliatePayoutBatch.batch_key == key)
    )


def make_batch(
    *, batch_key: str, actor_id: UUID | None, ip_address: str | None = None
) -> BatchResult:
    """Pay every approved affiliate whose available balance reaches the minimum payout, once
    per ``batch_key``; the same key again returns the first batch and changes nothing.

    Raises AffiliateError when no affiliate can be paid (no batch is made).
    """
    key = (batch_key or "").strip()
    if not key or len(key) > KEY_MAX:
        raise AffiliateError("The form expired: reload the page and try again.")
    found = _batch_by_key(key)
    if found is not None:
        return BatchResult(found, made=False)
    lock_chain()  # balances and commissions cannot move until this transaction ends
    found = _batch_by_key(key)  # made by the same form's other request while we waited
    if found is not None:
        return BatchResult(found, made=False)
    result = BatchResult(AffiliatePayoutBatch(batch_key=key, made_by_id=actor_id), made=True)
    chosen = []
    for row in payable_affiliates():
        if row.method is None:
            result.skipped[row.blocked] = result.skipped.get(row.blocked, 0) + 1
        else:
            chosen.append(row)
    if not chosen:
        raise AffiliateError(
            "No affiliate can be paid now: nobody's approved balance reaches the minimum payout"
            + (" with payout details that work." if result.skipped else ".")
        )
    batch = result.batch
    try:
        with db.session.begin_nested():
            db.session.add(batch)
            db.session.flush()
    except IntegrityError:
        winner = _batch_by_key(key)
        if winner is None:
            raise
        return BatchResult(winner, made=False)
    for row in chosen:
        _pay(batch, row.affiliate.id, row.method)
    batch.total = sum(p.amount for p in db.session.scalars(_payouts_of_batch(batch)))
    db.session.flush()
    record_audit(
        "affiliate_payouts.batch_made",
        actor_id=actor_id,
        ip_address=ip_address,
        target_type="affiliate_payout_batch",
        target_id=batch.id,
        details={"payouts": len(chosen), "total": batch.total, "skipped": result.skipped},
    )
    return result


def _payouts_of_batch(batch: AffiliatePayoutBatch) -> sa.Select:
    return sa.select(AffiliatePayout).where(AffiliatePayout.batch_id == batch.id)


def _pay(batch: AffiliatePayoutBatch, affiliate_id: UUID, method: PayoutMethod) -> None:
    """One payout of the affiliate's whole available balance (read under the chain's lock)."""
    amount = -balance(Account.AFFILIATE_AVAILABLE, affiliate_id=affiliate_id)
    if amount <= 0:
        return
    payout = AffiliatePayout(
        batch_id=batch.id, affiliate_id=affiliate_id, amount=amount, method=method
    )
    db.session.add(payout)
    db.session.flush()
    now = utcnow()
    _commissions(
        [
            AffiliateCommission.affiliate_id == affiliate_id,
            AffiliateCommission.status == CommissionStatus.APPROVED,
            AffiliateCommission.payout_id.is_(None),
        ],
        {"status": CommissionStatus.PAID, "payout_id": payout.id, "paid_at": now},
    )
    entries.post_made(payout)
    if method is PayoutMethod.STRIPE:
        enqueue_after_commit(jobs.send_transfer, str(payout.id))


def _move(
    payout: AffiliatePayout, sources: tuple[AffiliatePayoutStatus, ...], **values: Any
) -> bool:
    changed = db.session.execute(
        sa.update(AffiliatePayout)
        .where(AffiliatePayout.id == payout.id, AffiliatePayout.status.in_(sources))
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(payout)
    return changed == 1


def settle_paid(payout: AffiliatePayout, *, paid_at: datetime | None = None, **values: Any) -> bool:
    """An in-transit payout was paid: moved and posted once. False if it was not in transit."""
    if not _move(
        payout,
        (AffiliatePayoutStatus.IN_TRANSIT,),
        status=AffiliatePayoutStatus.PAID,
        paid_at=paid_at or utcnow(),
        **values,
    ):
        return False
    entries.post_paid(payout)
    close_if_done(payout.batch_id)
    return True


def close_if_done(batch_id: UUID) -> bool:
    """Close the batch once none of its payouts is in transit; True when this call closed it."""
    waiting = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AffiliatePayout)
        .where(
            AffiliatePayout.batch_id == batch_id,
            AffiliatePayout.status == AffiliatePayoutStatus.IN_TRANSIT,
        )
    )
    if waiting:
        return False
    return (
        db.session.execute(
            sa.update(AffiliatePayoutBatch)
            .where(
                AffiliatePayoutBatch.id == batch_id,
                AffiliatePayoutBatch.status == BatchStatus.OPEN,
            )
            .values(status=BatchStatus.CLOSED, closed_at=utcnow(), updated_at=utcnow())
            .execution_options(synchronize_session=False)
        ).rowcount
        == 1
    )


def mark_batch_paid(
    batch: AffiliatePayoutBatch, *, actor_id: UUID | None, ip_address: str | None = None
) -> int:
    """The operator paid the batch's CSV on PayPal: each PayPal payout still in transit is
    paid (posted once). How many this call marked (0: done already, or none to mark).

    A payout whose affiliate has no payout email any more was not in the CSV: it stays in
    transit for the operator to mark paid or failed by itself."""
    marked = 0
    for payout in db.session.scalars(
        _payouts_of_batch(batch)
        .join(Affiliate, Affiliate.id == AffiliatePayout.affiliate_id)
        .where(
            AffiliatePayout.method == PayoutMethod.PAYPAL,
            AffiliatePayout.status == AffiliatePayoutStatus.IN_TRANSIT,
            Affiliate.payout_email_ct.is_not(None),
        )
    ).all():
        if settle_paid(payout):
            marked += 1
    db.session.refresh(batch)
    if marked:
        record_audit(
            "affiliate_payouts.batch_paid",
            actor_id=actor_id,
            ip_address=ip_address,
            target_type="affiliate_payout_batch",
            target_id=batch.id,
            details={"payouts": marked},
        )
    return marked


def mark_payout_paid(
    payout: AffiliatePayout, *, actor_id: UUID | None, ip_address: str | None = None
) -> bool:
    """The operator paid this one PayPal payout on PayPal (one left out of the CSV): paid and
    posted once. False when it was not in transit (paid already, or failed).

    Raises AffiliateError for a Stripe payout: Stripe says whether it was paid."""
    if payout.method is not PayoutMethod.PAYPAL:
        raise AffiliateError("A Stripe payout is paid through Stripe, not by hand.")
    if not settle_paid(payout):
        return False
    record_audit(
        "affiliate_payouts.paid",
        actor_id=actor_id,
        ip_address=ip_address,
        target_type="affiliate",
        target_id=payout.affiliate_id,
        details={"payout": str(payout.id), "amount": payout.amount},
    )
    return True


def fail_payout(
    payout: AffiliatePayout,
    *,
    reason: str,
    actor_id: UUID | None,
    ip_address: str | None = None,
    by_stripe: bool = False,
) -> bool:
    """A payout that was not paid (in transit), or a PayPal one that came back after it was
    marked paid: the money is the affiliate's available balance again and its commissions
    are approved again (paid in the next batch). False when it had failed already.

    When the affiliate's account was deleted, those commissions go back to the shops at once
    instead (``forfeit_unpaid``, in this transaction): nobody could be paid them.

    Raises AffiliateError for a Stripe payout (unless Stripe refused it: ``by_stripe``).
    """
    reason = " ".join((reason or "").split())[:REASON_MAX] or "not paid"
    if payout.method is PayoutMethod.STRIPE and not by_stripe:
        raise AffiliateError("A Stripe payout fails or comes back through Stripe, not by hand.")
    db.session.refresh(payout)
    was = payout.status
    if was is AffiliatePayoutStatus.FAILED:
        return False
    if not _move(payout, (was,), status=AffiliatePayoutStatus.FAILED, failure=reason):
        return False  # another request moved it first
    if was is AffiliatePayoutStatus.PAID:
        entries.post_returned(payout, reason)
    else:
        entries.post_failed(payout, reason)
    _commissions(
        [
            AffiliateCommission.payout_id == payout.id,
            AffiliateCommission.status == CommissionStatus.PAID,
        ],
        {"status": CommissionStatus.APPROVED, "payout_id": None, "paid_at": None},
    )
    _uncount(payout)
    close_if_done(payout.batch_id)
    forfeited = 0
    if db.session.scalar(
        sa.select(Affiliate.user_id.is_(None)).where(Affiliate.id == payout.affiliate_id)
    ):
        forfeited = forfeit_unpaid(payout.affiliate_id)
    record_audit(
        "affiliate_payouts.failed",
        actor_id=actor_id,
        ip_address=ip_address,
        target_type="affiliate",
        target_id=payout.affiliate_id,
        details={
            "payout": str(payout.id),
            "amount": payout.amount,
            "was": was.value,
            "forfeited": forfeited,
        },
    )
    return True


def _uncount(payout: AffiliatePayout) -> None:
    """A failed payout is no longer paid by its batch: the total says what the batch pays."""
    db.session.execute(
        sa.update(AffiliatePayoutBatch)
        .where(AffiliatePayoutBatch.id == payout.batch_id)
        .values(total=AffiliatePayoutBatch.total - payout.amount, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
