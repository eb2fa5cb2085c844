"""Commissions: made when a shop order is paid, approved when their hold ends.

``record_sale`` (on ``order_paid``) makes at most one tier-1 commission per shop order,
and one tier-2 commission for the affiliate's recruiter when the second tier is on; a
replay finds the row the partial unique index kept and posts nothing. The rate is
frozen on the row: one rate for every line, or, when lines used different rates (a
product rate), rule ``mixed`` with the rate of the line with the largest base; the
amount is always the sum of each line's own commission.

``approve_due`` (hourly, and ``flask mall affiliates approve-due``) approves every
pending commission whose hold ended and that waits for no review. The operator's
``approve`` clears a review (approving at once when the hold is over; otherwise the job
approves it when the hold ends, so a refund inside the hold is still taken back from
the pending balance); ``reject`` refuses a commission that was not paid. Refunds and
cancellations are ``affiliates.commissions.refunds``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from affiliates.commissions.attribution import Winner, attribute, is_self_referral
from affiliates.commissions.fraud import BURST, is_burst
from affiliates.commissions.postings import (
    post_approved,
    post_back_to_shop,
    post_earned,
    reduce_key,
)
from affiliates.commissions.stats import count_commission
from affiliates.errors import AffiliateError
from affiliates.models import (
    Affiliate,
    AffiliateCommission,
    CommissionKind,
    CommissionStatus,
)
from affiliates.programs.rates import TIER2, Rate, commission_amount, tier2_rate
from affiliates.programs.settings import ProgramSettings, program_settings
from mall.checkout.models import Checkout
from mall.db import utcnow
from mall.extensions import db
from mall.ledger.models import Account
from mall.ledger.posting import lock_chain
from mall.orders.models import Order
from tenants.audit import record_audit
from tenants.context import all_tenants, tenant_context
from tenants.guard import scoped_get

BATCH = 500
MIXED = "mixed"
ABOVE_REVIEW = "above review amount"
REJECTED_BY_OPERATOR = "rejected by the operator"


def get_commission(commission_id: UUID | str | None) -> AffiliateCommission | None:
    """The commission of the shop in context with this id, or None."""
    return scoped_get(AffiliateCommission, commission_id)


def sale_commissions(order: Order, *, lock: bool = False) -> list[AffiliateCommission]:
    """The order's sale commissions, tier 1 first (``lock``: held until the transaction ends)."""
    query = (
        sa.select(AffiliateCommission)
        .where(
            AffiliateCommission.tenant_id == order.tenant_id,
            AffiliateCommission.order_id == order.id,
            AffiliateCommission.kind == CommissionKind.SALE,
        )
        .order_by(AffiliateCommission.tier)
    )
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return list(db.session.scalars(query))


# ---------------------------------------------------------------- made on payment


@dataclass(frozen=True)
class _Earned:
    rate: Rate
    base: int
    amount: int


def _earned(order: Order, winner: Winner) -> _Earned:
    """The order's base and commission under the winner's rates, line by line."""
    book = winner.book
    bases = book.bases(order)
    amount = 0
    used: dict[Rate, int] = {}
    for line in order.lines:
        rate = book.rate(line.product_id)
        amount += commission_amount(rate, base=bases[line.id], quantity=line.quantity)
        used[rate] = used.get(rate, 0) + bases[line.id]
    rate = max(used, key=lambda found: used[found]) if used else book.rate(None)
    if len(used) > 1:
        rate = Rate(MIXED, rate.kind, bp=rate.bp, fixed=rate.fixed)
    return _Earned(rate, sum(bases.values()), amount)


def insert_once(row: AffiliateCommission) -> AffiliateCommission | None:
    """Insert ``row`` in a savepoint; None when a replay already made this order's tier."""
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError:
        return None
    return row


def record_sale(order: Order) -> AffiliateCommission | None:
    """Attribute a paid shop order and make its commissions, posted once (in its shop's
    context); the tier-1 commission, or None when nobody earns on the order."""
    existing = sale_commissions(order)
    if existing:
        return existing[0]
    settings = program_settings()
    winner = attribute(order, settings=settings)
    if winner is None:
        return None
    earned = _earned(order, winner)
    if earned.amount <= 0:
        return None
    paid_at = order.paid_at or utcnow()
    flags: list[str] = []
    review = settings.review_above > 0 and earned.amount > settings.review_above
    if review:
        flags.append(ABOVE_REVIEW)
    if winner.clicked_at is not None and is_burst(
        winner.affiliate.id, winner.clicked_at, settings=settings
    ):
        flags.append(BURST)
    row = insert_once(
        AffiliateCommission(
            tenant_id=order.tenant_id,
            order_id=order.id,
            affiliate_id=winner.affiliate.id,
            tier=1,
            kind=CommissionKind.SALE,
            source=winner.source,
            rule=earned.rate.rule,
            rate_kind=earned.rate.kind,
            rate_bp=earned.rate.bp,
            rate_fixed=earned.rate.fixed,
            base=earned.base,
            original_amount=earned.amount,
            amount=earned.amount,
            status=CommissionStatus.PENDING,
            held_until=paid_at + timedelta(days=settings.holding_days),
            needs_review=review,
            flags=flags,
            clicked_at=winner.clicked_at,
        )
    )
    if row is None:
        return sale_commissions(order)[0]
    post_earned(row, order)
    count_commission(row, day=paid_at.date())
    _record_tier2(order, row, winner.affiliate, settings=settings)
    return row


def _record_tier2(
    order: Order, tier1: AffiliateCommission, affiliate: Affiliate, *, settings: ProgramSettings
) -> AffiliateCommission | None:
    """The recruiter's share of ``tier1``, when the second tier is on and they earn now."""
    rate = tier2_rate(settings)
    if rate is None or affiliate.recruited_by_id is None:
        return None
    recruiter = db.session.get(Affiliate, affiliate.recruited_by_id)
    if recruiter is None or not recruiter.earns or recruiter.id == affiliate.id:
        return None
    checkout = db.session.get(Checkout, order.checkout_id)
    buyer = order.user_id or (checkout.user_id if checkout is not None else None)
    if is_self_referral(recruiter, buyer=buyer, checkout=checkout):
        return None
    amount = commission_amount(rate, base=tier1.original_amount, quantity=1)
    if amount <= 0:
        return None
    row = insert_once(
        AffiliateCommission(
            tenant_id=order.tenant_id,
            order_id=order.id,
            affiliate_id=recruiter.id,
            tier=2,
            kind=CommissionKind.SALE,
            source=tier1.source,
            rule=TIER2,
            rate_kind=rate.kind,
            rate_bp=rate.bp,
            rate_fixed=0,
            base=tier1.original_amount,
            original_amount=amount,
            amount=amount,
            status=CommissionStatus.PENDING,
            held_until=tier1.held_until,
            needs_review=tier1.needs_review,
            flags=list(tier1.flags),
            clicked_at=tier1.clicked_at,
        )
    )
    if row is not None:
        post_earned(row, order)
        count_commission(row, day=(order.paid_at or tier1.created_at).date())
    return row


# ---------------------------------------------------------------- approval


def _approve_now(commission: AffiliateCommission, *, now: datetime) -> bool:
    """Pending -> approved by one conditional UPDATE, then posted once; False if it was not
    pending (approved, rejected or paid meanwhile)."""
    # The chain first, the row second: the order a payout batch takes them in (no deadlock).
    lock_chain()
    moved = db.session.execute(
        sa.update(AffiliateCommission)
        .where(
            AffiliateCommission.tenant_id == commission.tenant_id,
            AffiliateCommission.id == commission.id,
            AffiliateCommission.status == CommissionStatus.PENDING,
        )
        .values(status=CommissionStatus.APPROVED, needs_review=False, decided_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(commission)  # the amount as it is now (a refund may have reduced it)
    if moved != 1:
        return False
    post_approved(commission)
    return True


@dataclass(frozen=True)
class Sweep:
    """One batch of the approval sweep."""

    approved: int
    more: bool  # the batch was full: sweep again, in a new transaction


def approve_due(*, now: datetime | None = None, limit: int = BATCH) -> Sweep:
    """Approve up to ``limit`` pending commissions whose hold ended by ``now`` and that wait
    for no review, in every shop. An approved row leaves the sweep's query, so the next
    batch starts where this one ended; each batch is one transaction (it holds the ledger)."""
    now = now or utcnow()
    with all_tenants("affiliate job: commissions whose holding period ended (ids only)"):
        rows = db.session.execute(
            sa.select(AffiliateCommission.id, AffiliateCommission.tenant_id)
            .where(
                AffiliateCommission.status == CommissionStatus.PENDING,
                AffiliateCommission.held_until <= now,
                AffiliateCommission.needs_review.is_(False),
            )
            .order_by(AffiliateCommission.held_until, AffiliateCommission.id)
            .limit(limit)
        ).all()
    approved = 0
    for commission_id, shop_id in rows:
        with tenant_context(shop_id):
            commission = get_commission(commission_id)
            if commission is not None and _approve_now(commission, now=now):
                approved += 1
    return Sweep(approved=approved, more=len(rows) == limit)


def approve(commission: AffiliateCommission, *, actor_id: UUID | None) -> bool:
    """The operator approves a pending commission (a review): payable at once when its hold
    is over, otherwise when it ends. False when nothing changed; AffiliateError when it is
    not pending."""
    if commission.status is CommissionStatus.APPROVED:
        return False
    if commission.status is not CommissionStatus.PENDING:
        raise AffiliateError("Only a pending commission can be approved.")
    now = utcnow()
    if commission.held_until <= now:
        changed = _approve_now(commission, now=now)
    elif commission.needs_review:
        commission.needs_review = False
        db.session.flush()
        changed = True
    else:
        return False
    if changed:
        record_audit(
            "affiliates.commission_approved",
            actor_id=actor_id,
            target_type="affiliate_commission",
            target_id=commission.id,
            details={"shop_id": str(commission.tenant_id), "amount": commission.amount},
        )
    return changed


def reject(commission: AffiliateCommission, *, actor_id: UUID | None) -> bool:
    """The operator refuses a commission not yet paid: its amount goes back to the shop
    (once). False when it was already rejected; AffiliateError when it was paid."""
    if commission.status is CommissionStatus.REJECTED:
        return False
    if commission.status is CommissionStatus.PAID or commission.kind is CommissionKind.CLAWBACK:
        raise AffiliateError("A paid commission cannot be rejected: refund the order instead.")
    amount = withdraw_unpaid(
        commission, flag=REJECTED_BY_OPERATOR, event="reject", memo="Affiliate commission rejected"
    )
    if amount is None:
        return False
    record_audit(
        "affiliates.commission_rejected",
        actor_id=actor_id,
        target_type="affiliate_commission",
        target_id=commission.id,
        details={"shop_id": str(commission.tenant_id), "amount": amount},
    )
    return True


def withdraw_unpaid(
    commission: AffiliateCommission, *, flag: str, event: str, memo: str
) -> int | None:
    """Give a commission not yet paid back to its shop, once: status rejected, ``flag`` saying
    why, the amount posted back from the affiliate's pending or available balance. The amount
    given back; None when it was no longer pending or approved (paid, rejected meanwhile)."""
    lock_chain()  # before the row, as a payout batch does
    db.session.refresh(commission, with_for_update=True)
    if commission.status not in (CommissionStatus.PENDING, CommissionStatus.APPROVED):
        return None
    account = (
        Account.AFFILIATE_PENDING
        if commission.status is CommissionStatus.PENDING
        else Account.AFFILIATE_AVAILABLE
    )
    order = db.session.get(Order, (commission.tenant_id, commission.order_id))
    amount = commission.amount
    commission.amount = 0
    commission.status = CommissionStatus.REJECTED
    commission.needs_review = False
    commission.decided_at = utcnow()
    commission.flags = [*commission.flags, flag]
    db.session.flush()
    if order is not None and amount > 0:
        post_back_to_shop(
            commission, order, amount, account=account, key=reduce_key(commission, event), memo=memo
        )
    return amount
