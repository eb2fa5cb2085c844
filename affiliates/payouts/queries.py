"""What the payout pages read: who is payable now, the batches, a batch's payouts and its
PayPal CSV, and an affiliate's own payouts. Balances are sums of ledger lines."""

from __future__ import annotations

import io
from dataclasses import dataclass
from uuid import UUID

import sqlalchemy as sa
from flask import current_app

from affiliates.models import (
    Affiliate,
    AffiliateCommission,
    AffiliatePayout,
    AffiliatePayoutBatch,
    AffiliatePayoutStatus,
    AffiliateStatus,
    PayoutMethod,
)
from affiliates.payouts.connect import waiting_reason
from affiliates.payouts.entries import reference
from affiliates.programs.settings import program_settings
from mall.csvsafe import writer
from mall.extensions import db
from mall.ledger.models import Account, LedgerLine
from mall.money import currency, to_decimal_text
from mall.pagination import Page, paginate
from tenants.context import all_tenants
from tenants.keys import reveal

CSV_NOTE = "Mall affiliate commissions"


def stripe_ready() -> bool:
    """Stripe is configured: transfers to connected accounts can be made."""
    return bool(current_app.config.get("STRIPE_SECRET_KEY"))


def method_for(affiliate: Affiliate) -> tuple[PayoutMethod | None, str]:
    """How the affiliate would be paid now, or (None, why not): by Stripe once their connected
    account's transfers are active, until then by PayPal when they gave a payout email."""
    if affiliate.stripe_account_id and affiliate.stripe_transfers_active:
        if stripe_ready():
            return PayoutMethod.STRIPE, ""
        return None, "Stripe is not configured"
    if affiliate.payout_email_ct:
        return PayoutMethod.PAYPAL, ""
    if affiliate.stripe_account_id:
        return None, waiting_reason(affiliate)
    return None, "no payout details"


@dataclass(frozen=True)
class Payable:
    """An approved affiliate owed at least the minimum, and how they would be paid."""

    affiliate: Affiliate
    amount: int
    method: PayoutMethod | None
    blocked: str = ""  # why it cannot be paid now (no method)


def _available() -> sa.Select:
    """Affiliate id -> available balance (credits are negative: the balance is the negated sum)."""
    return (
        sa.select(
            LedgerLine.affiliate_id.label("affiliate_id"),
            (-sa.func.sum(LedgerLine.amount)).label("amount"),
        )
        .where(LedgerLine.account == Account.AFFILIATE_AVAILABLE)
        .group_by(LedgerLine.affiliate_id)
    )


def payable_affiliates() -> list[Payable]:
    """Approved affiliates whose available balance is at least the program's minimum payout,
    largest first (two queries whatever the number of affiliates)."""
    minimum = max(program_settings().min_payout, 1)
    owed = _available().subquery()
    rows = db.session.execute(
        sa.select(Affiliate, owed.c.amount)
        .join(owed, owed.c.affiliate_id == Affiliate.id)
        .where(Affiliate.status == AffiliateStatus.APPROVED, owed.c.amount >= minimum)
        .order_by(owed.c.amount.desc(), Affiliate.id)
    ).all()
    found = []
    for affiliate, amount in rows:
        method, blocked = method_for(affiliate)
        found.append(Payable(affiliate, int(amount), method, blocked))
    return found


def no_recipient(affiliate: Affiliate) -> bool:
    """The affiliate has no payout email any more (their account was deleted): a PayPal
    payout to them cannot go in the CSV, and the operator decides it payout by payout."""
    return not affiliate.payout_email_ct


def account_deleted(affiliate: Affiliate) -> bool:
    """The affiliate's account was deleted (the row is unlinked): nobody can be paid again."""
    return affiliate.user_id is None


def get_batch(batch_id: UUID | str | None) -> AffiliatePayoutBatch | None:
    """A batch by id (a platform table: operators' pages only), or None."""
    try:
        return db.session.get(AffiliatePayoutBatch, UUID(str(batch_id)))
    except ValueError:
        return None


def get_payout(payout_id: UUID | str | None) -> AffiliatePayout | None:
    """A payout by id (operators' pages and jobs only), or None."""
    try:
        return db.session.get(AffiliatePayout, UUID(str(payout_id)))
    except ValueError:
        return None


def get_affiliate_of(payout: AffiliatePayout) -> Affiliate | None:
    """The affiliate a payout pays (a platform row: operators' pages only)."""
    return db.session.get(Affiliate, payout.affiliate_id)


def batch_list(*, page: int = 1, per_page: int = 25) -> Page:
    """The operator's batches, newest first."""
    query = sa.select(AffiliatePayoutBatch).order_by(
        AffiliatePayoutBatch.created_at.desc(), AffiliatePayoutBatch.id.desc()
    )
    return paginate(query, page=page, per_page=per_page)


def batch_payouts(batch: AffiliatePayoutBatch) -> list[tuple[AffiliatePayout, Affiliate]]:
    """The batch's payouts with their affiliates (one query), largest first."""
    rows = db.session.execute(
        sa.select(AffiliatePayout, Affiliate)
        .join(Affiliate, Affiliate.id == AffiliatePayout.affiliate_id)
        .where(AffiliatePayout.batch_id == batch.id)
        .order_by(AffiliatePayout.amount.desc(), AffiliatePayout.id)
    ).all()
    return [(payout, affiliate) for payout, affiliate in rows]


def batch_csv(batch: AffiliatePayoutBatch) -> str:
    """The batch's PayPal payouts still to pay, as PayPal Payouts' upload file: one row per
    payout, no header row (PayPal reads the first row as a payment): recipient email, amount
    (major units), currency, unique id (the payout's reference, under PayPal's 30 characters),
    note. Every cell is formula-safe; the file holds the addresses, for the operator only.
    A payout whose affiliate has no payout email any more is left out (no empty recipient):
    the batch page flags it for the operator to mark paid or failed by hand."""
    code = currency()
    buffer = io.StringIO()
    out = writer(buffer)
    for payout, affiliate in batch_payouts(batch):
        if payout.method is not PayoutMethod.PAYPAL:
            continue
        if payout.status is not AffiliatePayoutStatus.IN_TRANSIT:
            continue
        email = reveal(affiliate, "payout_email")
        if not email:
            continue
        out.writerow(
            [email, to_decimal_text(payout.amount, code=code), code, reference(payout), CSV_NOTE]
        )
    return buffer.getvalue()


def payouts_of(affiliate: Affiliate, page: int = 1, *, per_page: int = 10) -> Page:
    """The affiliate's own payouts, newest first (for their dashboard)."""
    query = (
        sa.select(AffiliatePayout)
        .where(AffiliatePayout.affiliate_id == affiliate.id)
        .order_by(AffiliatePayout.created_at.desc(), AffiliatePayout.id.desc())
    )
    return paginate(query, page=page, per_page=per_page)


def commissions_of(payout: AffiliatePayout) -> list[AffiliateCommission]:
    """The commissions (and clawbacks) one payout settled, across the shops that paid them."""
    query = (
        sa.select(AffiliateCommission)
        .where(
            AffiliateCommission.payout_id == payout.id,
            AffiliateCommission.affiliate_id == payout.affiliate_id,
        )
        .order_by(AffiliateCommission.created_at, AffiliateCommission.id)
    )
    with all_tenants("affiliate payouts: the commissions one payout settled, by payout id"):
        return list(db.session.scalars(query))
