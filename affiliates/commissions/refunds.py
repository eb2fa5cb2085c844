"""Refunds and cancellations: what they take back from an order's commissions, once.

The refunded share is the share of the commission's base refunded so far: each line's
base (net of tax) in the proportion of the line refunded, plus the shipping's share of
the base (when the shop counted shipping) in the proportion of the shipping refunded.
A full refund (or a cancellation) takes everything. Every step is cumulative
(``money.proportion`` of the original amount for everything refunded so far, minus
what was taken already), so many partial refunds take back exactly the whole.

- Not yet paid (pending or approved): ``amount`` is reduced (``original_amount`` keeps
  what it was) and the difference goes back to the shop from the account the commission
  sits on; reduced to nothing, it is rejected.
- Paid: a ``clawback`` commission (negative, approved at once, ``event_key`` per refund)
  takes the difference from the affiliate's available balance: it nets against the
  next payout.

Each event is keyed (the refund's id, ``cancel``), so a replayed signal takes nothing.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from affiliates.commissions.postings import post_back_to_shop, reduce_key
from affiliates.commissions.services import insert_once, sale_commissions
from affiliates.models import AffiliateCommission, CommissionKind, CommissionStatus
from mall.db import utcnow
from mall.extensions import db
from mall.ledger.models import Account
from mall.ledger.posting import find_entry, lock_chain
from mall.money import proportion
from mall.orders.models import Order, PaymentStatus
from mall.orders.refunds import shipping_paid, shipping_refunded

CANCEL = "cancel"


def refunded_base(order: Order, tier1: AffiliateCommission) -> int:
    """How much of ``tier1``'s base the order's refunds so far gave back."""
    lines = list(order.lines)
    nets = [max(0, line.total - line.tax) for line in lines]
    refunded = sum(
        proportion(net, line.amount_refunded, line.total)
        for net, line in zip(nets, lines, strict=True)
    )
    shipping_part = max(0, tier1.base - sum(nets))  # the shipping's share, if it counted
    if shipping_part:
        refunded += proportion(shipping_part, shipping_refunded(order), shipping_paid(order))
    return max(0, min(refunded, tier1.base))


def _clawed(commission: AffiliateCommission) -> int:
    """What clawbacks already took back from a paid commission (positive)."""
    total = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(AffiliateCommission.amount), 0)).where(
            AffiliateCommission.tenant_id == commission.tenant_id,
            AffiliateCommission.clawback_of_id == commission.id,
            AffiliateCommission.kind == CommissionKind.CLAWBACK,
        )
    )
    return -int(total or 0)


def take_back(order: Order, *, event: str, full: bool) -> int:
    """Take back from the order's commissions what the refunds so far (``full``: all of it)
    call for, once per ``event``; how much was taken now (in the shop's context)."""
    if not sale_commissions(order):
        return 0
    lock_chain()  # the chain before the rows, as a payout batch takes them (no deadlock)
    rows = sale_commissions(order, lock=True)
    tier1 = rows[0]
    full = full or order.payment_status is PaymentStatus.REFUNDED
    refunded = tier1.base if full else refunded_base(order, tier1)
    taken = 0
    for row in rows:
        target = (
            row.original_amount if full else proportion(row.original_amount, refunded, tier1.base)
        )
        target = min(target, row.original_amount)
        if row.status is CommissionStatus.PAID:
            taken += _claw_back(row, order, target=target, event=event)
        elif row.status in (CommissionStatus.PENDING, CommissionStatus.APPROVED):
            taken += _reduce(row, order, target=target, event=event)
    return taken


def _reduce(row: AffiliateCommission, order: Order, *, target: int, event: str) -> int:
    """Reduce an unpaid commission so that ``target`` in all was taken from it."""
    # A payout that failed sends paid rows back to approved: what clawbacks took meanwhile
    # was taken already.
    step = target - (row.original_amount - row.amount) - _clawed(row)
    key = reduce_key(row, event)
    if step <= 0 or find_entry(key) is not None:
        return 0
    account = (
        Account.AFFILIATE_PENDING
        if row.status is CommissionStatus.PENDING
        else Account.AFFILIATE_AVAILABLE
    )
    row.amount -= step
    if row.amount <= 0:
        row.amount = 0
        row.status = CommissionStatus.REJECTED
        row.needs_review = False
        row.decided_at = utcnow()
    db.session.flush()
    post_back_to_shop(
        row,
        order,
        step,
        account=account,
        key=key,
        memo=f"{order.number}: affiliate commission reduced by a refund",
    )
    return step


def _claw_back(row: AffiliateCommission, order: Order, *, target: int, event: str) -> int:
    """A negative commission for what a refund after payment takes back from ``row``."""
    step = target - (row.original_amount - row.amount) - _clawed(row)
    if step <= 0:
        return 0
    now = utcnow()
    clawback = insert_once(
        AffiliateCommission(
            tenant_id=row.tenant_id,
            order_id=row.order_id,
            affiliate_id=row.affiliate_id,
            tier=row.tier,
            kind=CommissionKind.CLAWBACK,
            clawback_of_id=row.id,
            event_key=f"clawback:{row.id.hex}:{event}"[:80],
            source=row.source,
            rule=row.rule,
            rate_kind=row.rate_kind,
            rate_bp=row.rate_bp,
            rate_fixed=row.rate_fixed,
            base=-proportion(row.base, step, row.original_amount),
            original_amount=-step,
            amount=-step,
            status=CommissionStatus.APPROVED,
            held_until=now,
            decided_at=now,
            flags=[],
            clicked_at=row.clicked_at,
        )
    )
    if clawback is None:  # this refund's clawback was made by an earlier delivery
        return 0
    post_back_to_shop(
        clawback,
        order,
        step,
        account=Account.AFFILIATE_AVAILABLE,
        key=f"affiliate:{clawback.id}",
        memo=f"{order.number}: affiliate commission clawed back after payment",
    )
    return step


def on_order_refunded(order: Order, *, refund_id: Any = None, full: bool = False, **_: Any) -> None:
    """A refund of a paid order (in its shop's context): take back the commissions' share."""
    event = refund_id.hex if hasattr(refund_id, "hex") else str(refund_id)
    take_back(order, event=event, full=bool(full))


def on_order_cancelled(order: Order, **_: Any) -> None:
    """A cancelled order earns nothing: take back whatever its commissions still hold."""
    take_back(order, event=CANCEL, full=True)


def on_dispute_lost(order: Order, *, dispute_id: Any = None, **_: Any) -> None:
    """A lost dispute (in its shop's context): the card network took the order's money back,
    so its commissions go back to the shop as after a full refund, once per dispute."""
    event = f"dispute:{dispute_id.hex if hasattr(dispute_id, 'hex') else dispute_id}"
    take_back(order, event=event, full=True)
