"""Manual payouts: shops without a Stripe account are paid from the bank, in batches.

A payout run puts each such shop's payout in the open batch. The operator exports
the batch as CSV (shop, amount, currency, reference; Mall keeps no bank details:
the operator's bank holds them), pays it, and marks it paid, which posts each
payout's "paid" entry. A payout the bank could not pay, or one that came back,
is marked returned: its parts are available to the shop again (once). A payout
still in the open batch was never sent: it cannot be "returned", it is taken out
of the batch (cancelled) instead, and its parts are available again (once).
A batch's total and count are what stands in it: a payout returned, failed or
taken out leaves them (the batch's page shows what was returned after payment).

Every step is a conditional UPDATE on the batch's or payout's status, so a
repeated click changes nothing the second time.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import sqlalchemy as sa

from mall.csvsafe import writer
from mall.db import utcnow
from mall.extensions import db
from mall.ledger.errors import LedgerError
from mall.ledger.models import (
    BatchStatus,
    Payout,
    PayoutBatch,
    PayoutItem,
    PayoutMethod,
    PayoutStatus,
)
from mall.ledger.payouts import entries
from mall.money import currency, to_decimal_text
from tenants.audit import record_audit
from tenants.context import all_tenants, tenant_context
from tenants.guard import scoped_get
from tenants.models import Tenant

CSV_HEADER = ["shop", "shop_address", "amount", "currency", "reference", "payout_id"]


def get_batch(batch_id: UUID | str | None) -> PayoutBatch | None:
    """A batch by id (a platform table), or None."""
    try:
        return db.session.get(PayoutBatch, UUID(str(batch_id)))
    except ValueError:
        return None


def open_batch() -> PayoutBatch:
    """The batch that new manual payouts join (made when there is none)."""
    batch = db.session.scalar(
        sa.select(PayoutBatch)
        .where(PayoutBatch.status == BatchStatus.OPEN)
        .order_by(PayoutBatch.created_at)
        .limit(1)
        .with_for_update()
    )
    if batch is None:
        batch = PayoutBatch(currency=currency(), total=0, payouts_count=0)
        db.session.add(batch)
        db.session.flush()
    return batch


def add_to_open_batch(payout: Payout) -> PayoutBatch:
    """Put a new manual payout in the open batch and count it there."""
    batch = open_batch()
    payout.batch_id = batch.id
    _count(batch.id, payout.amount, 1)
    db.session.flush()
    return batch


def _count(batch_id: UUID, amount: int, payouts: int) -> None:
    db.session.execute(
        sa.update(PayoutBatch)
        .where(PayoutBatch.id == batch_id)
        .values(
            total=PayoutBatch.total + amount,
            payouts_count=PayoutBatch.payouts_count + payouts,
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )


def _move_batch(batch: PayoutBatch, source: BatchStatus, **values: object) -> bool:
    changed = db.session.execute(
        sa.update(PayoutBatch)
        .where(PayoutBatch.id == batch.id, PayoutBatch.status == source)
        .values(updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(batch)
    return changed == 1


@dataclass(frozen=True)
class BatchPayout:
    """One payout of a batch as the operator's page and CSV show it (no personal data)."""

    id: UUID
    shop_id: UUID
    shop_name: str
    shop_slug: str
    amount: int
    status: PayoutStatus
    reference: str
    paid_at: datetime | None = None

    @property
    def returned_after_paid(self) -> bool:
        """Paid from the bank, then returned (the batch's total no longer counts it)."""
        return self.status is PayoutStatus.FAILED and self.paid_at is not None


def batch_payouts(batch: PayoutBatch) -> list[BatchPayout]:
    """The batch's payouts with their shops, in one query (oldest first)."""
    query = (
        sa.select(Payout, Tenant.name, Tenant.slug)
        .join(Tenant, Tenant.id == Payout.tenant_id)
        .where(Payout.batch_id == batch.id)
        .order_by(Payout.created_at, Payout.id)
    )
    with all_tenants("operator: the manual payouts of one batch (shop, amount, status)"):
        rows = db.session.execute(query).all()
    return [
        BatchPayout(
            payout.id,
            payout.tenant_id,
            name,
            slug,
            payout.amount,
            payout.status,
            entries.reference(payout),
            payout.paid_at,
        )
        for payout, name, slug in rows
    ]


def export_batch(
    batch: PayoutBatch, *, actor_id: UUID | None, ip_address: str | None = None
) -> bool:
    """Close the batch to new payouts for paying it (open -> exported); False if it was.

    Its payouts are "sent". New manual payouts go to a new batch from now on.
    """
    if batch.status is BatchStatus.PAID:
        raise LedgerError("This batch is paid already.")
    if not _move_batch(batch, BatchStatus.OPEN, status=BatchStatus.EXPORTED, exported_at=utcnow()):
        return False
    for row in batch_payouts(batch):
        with tenant_context(row.shop_id):
            _move_payout(
                row.id, (PayoutStatus.PENDING,), status=PayoutStatus.SENT, sent_at=utcnow()
            )
    record_audit(
        "payouts.batch_exported",
        actor_id=actor_id,
        ip_address=ip_address,
        target_type="payout_batch",
        target_id=batch.id,
        details={"payouts": batch.payouts_count, "total": batch.total},
    )
    return True


def batch_csv(batch: PayoutBatch) -> str:
    """The batch as CSV for the bank: one row per payout still to pay (no bank details).

    Built whole: a batch holds at most one payout per shop.
    """
    buffer = io.StringIO()
    out = writer(buffer)
    out.writerow(CSV_HEADER)
    for row in batch_payouts(batch):
        if row.status in (PayoutStatus.FAILED, PayoutStatus.CANCELLED):
            continue
        out.writerow(
            [
                row.shop_name,
                row.shop_slug,
                to_decimal_text(row.amount, code=batch.currency),
                batch.currency,
                row.reference,
                row.id,
            ]
        )
    return buffer.getvalue()


def mark_batch_paid(
    batch: PayoutBatch, *, actor_id: UUID | None, ip_address: str | None = None
) -> bool:
    """The operator paid the exported batch: each payout in it is paid (posted once)."""
    if batch.status is BatchStatus.OPEN:
        raise LedgerError("Export the batch before marking it paid: it may still grow.")
    if not _move_batch(batch, BatchStatus.EXPORTED, status=BatchStatus.PAID, paid_at=utcnow()):
        return False
    for row in batch_payouts(batch):
        with tenant_context(row.shop_id):
            payout = get_payout(row.id)
            if payout is not None and _move_payout(
                payout.id, (PayoutStatus.SENT,), status=PayoutStatus.PAID, paid_at=utcnow()
            ):
                entries.post_paid(payout)
    record_audit(
        "payouts.batch_paid",
        actor_id=actor_id,
        ip_address=ip_address,
        target_type="payout_batch",
        target_id=batch.id,
        details={"payouts": batch.payouts_count, "total": batch.total},
    )
    return True


# ---------------------------------------------------------------- one payout


def get_payout(payout_id: UUID | str | None) -> Payout | None:
    """A payout of the shop in context (another shop's id finds nothing)."""
    return scoped_get(Payout, payout_id)


def items_of(payout: Payout) -> list[PayoutItem]:
    """The payout's items (shop in context), oldest first."""
    return list(
        db.session.scalars(
            sa.select(PayoutItem)
            .where(PayoutItem.payout_id == payout.id)
            .order_by(PayoutItem.created_at, PayoutItem.id)
        )
    )


def _move_payout(payout_id: UUID, sources: tuple[PayoutStatus, ...], **values: object) -> bool:
    changed = db.session.execute(
        sa.update(Payout)
        .where(Payout.id == payout_id, Payout.status.in_(sources))
        .values(updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    return changed == 1


NEVER_SENT = (
    "This payout was never sent: its batch is not exported yet, so the bank was not asked to "
    "pay it. Take it out of the batch instead: its amount goes back to the shop's balance."
)


def mark_returned(
    payout: Payout, *, reason: str, actor_id: UUID | None, ip_address: str | None = None
) -> bool:
    """A manual payout the bank did not pay (exported, "sent"), or paid and got back: its
    parts are available again (once). False when it was marked so already. Raises
    LedgerError for a payout never sent (``cancel_payout`` takes it out of its batch) and
    for a Stripe or cancelled one. Call in the payout's shop's context.
    """
    if payout.method is not PayoutMethod.MANUAL:
        raise LedgerError(
            "A Stripe payout comes back through Stripe (a transfer reversal), not by hand."
        )
    reason = reason.strip()[:300] or "returned by the bank"
    db.session.refresh(payout)  # a batch step may have moved it by an UPDATE meanwhile
    was = payout.status
    if was is PayoutStatus.FAILED:
        return False
    if was is PayoutStatus.CANCELLED:
        raise LedgerError("This payout was taken out of its batch: it was never paid.")
    if was is PayoutStatus.PENDING:
        raise LedgerError(NEVER_SENT)
    values = {"status": PayoutStatus.FAILED, "failed_at": utcnow(), "failure_reason": reason}
    if not _move_payout(payout.id, (was,), **values):
        db.session.refresh(payout)
        return False  # another request got there first
    items = items_of(payout)
    if was is PayoutStatus.PAID:
        entries.post_returned(payout, items, reason)
    else:
        entries.post_failed(payout, items, reason)
    if payout.batch_id is not None:
        _count(payout.batch_id, -payout.amount, -1)  # no longer paid by this batch
    db.session.refresh(payout)
    record_audit(
        "payouts.returned",
        actor_id=actor_id,
        ip_address=ip_address,
        target_type="shop",
        target_id=payout.tenant_id,
        details={"payout": str(payout.id), "amount": payout.amount, "was": was.value},
    )
    return True


def cancel_payout(payout: Payout, *, actor_id: UUID | None, ip_address: str | None = None) -> bool:
    """Take a manual payout out of the open batch before it is exported (pending ->
    cancelled): its parts are available to the shop again, posted as a payout that failed
    before being paid (once). False when it was taken out already. Raises LedgerError once
    the batch is exported (the bank may pay it: mark it returned if it does not).
    Call in the payout's shop's context.
    """
    if payout.method is not PayoutMethod.MANUAL or payout.batch_id is None:
        raise LedgerError("Only a manual payout in a batch can be taken out of it.")
    batch = _lock_batch(payout.batch_id)  # export waits for us, or we see it exported
    db.session.refresh(payout)
    if payout.status is PayoutStatus.CANCELLED:
        return False
    if payout.status is not PayoutStatus.PENDING or batch.status is not BatchStatus.OPEN:
        raise LedgerError(
            "This payout's batch is exported: the bank may pay it. If it does not, "
            "mark the payout returned."
        )
    reason = "taken out of the batch before it was exported"
    values = {"status": PayoutStatus.CANCELLED, "failed_at": utcnow(), "failure_reason": reason}
    if not _move_payout(payout.id, (PayoutStatus.PENDING,), **values):
        db.session.refresh(payout)
        return False
    entries.post_failed(payout, items_of(payout), reason)
    _count(batch.id, -payout.amount, -1)
    db.session.refresh(payout)
    record_audit(
        "payouts.cancelled",
        actor_id=actor_id,
        ip_address=ip_address,
        target_type="shop",
        target_id=payout.tenant_id,
        details={"payout": str(payout.id), "amount": payout.amount, "batch": str(batch.id)},
    )
    return True


def _lock_batch(batch_id: UUID) -> PayoutBatch:
    batch = db.session.scalar(
        sa.select(PayoutBatch)
        .where(PayoutBatch.id == batch_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if batch is None:
        raise LedgerError("This payout's batch is gone.")
    return batch
