"""What each step of a commission posts to the ledger, once per key.

The shop that made the sale pays: its account for the order (``shop_account``: pending
until the order's money is released, then available) is debited, the affiliate's
credited; what comes back goes the other way.

- earned (order paid), key ``affiliate:<commission>``:
  Dr shop / Cr ``affiliate_pending``;
- approved, key ``affiliate_approve:<commission>``:
  Dr ``affiliate_pending`` / Cr ``affiliate_available``;
- reduced or rejected before payment, key ``affiliate_reduce:<commission>:<event>``
  (a refund's id, ``cancel``, ``reject``): Dr the affiliate account it sits on / Cr shop;
- a clawback after payment, key ``affiliate:<clawback>``:
  Dr ``affiliate_available`` / Cr shop (it nets against the next payout).
"""

from __future__ import annotations

from affiliates.models import AffiliateCommission
from mall.ledger.models import Account, EntryKind, LedgerEntry
from mall.ledger.posting import credit, debit, find_entry, lock_chain, post
from mall.ledger.sales import shop_account
from mall.orders.models import Order


def earned_key(commission: AffiliateCommission) -> str:
    return f"affiliate:{commission.id}"


def approve_key(commission: AffiliateCommission) -> str:
    return f"affiliate_approve:{commission.id}"


def reduce_key(commission: AffiliateCommission, event: str) -> str:
    return f"affiliate_reduce:{commission.id}:{event}"


def post_earned(commission: AffiliateCommission, order: Order) -> LedgerEntry | None:
    """A sale's commission: the shop pays it into the affiliate's pending balance."""
    amount = commission.amount
    return post(
        EntryKind.AFFILIATE_COMMISSION,
        [
            debit(
                shop_account(order),
                amount,
                kind="affiliate_commission",
                shop_id=order.tenant_id,
                order_id=order.id,
            ),
            credit(
                Account.AFFILIATE_PENDING,
                amount,
                kind="affiliate_commission",
                order_id=order.id,
                affiliate_id=commission.affiliate_id,
            ),
        ],
        key=earned_key(commission),
        ref_type="affiliate_commission",
        ref_id=commission.id,
        shop_id=order.tenant_id,
        memo=f"{order.number}: tier {commission.tier} affiliate commission",
    )


def post_approved(commission: AffiliateCommission) -> LedgerEntry | None:
    """The holding period ended (or the operator approved): pending -> available."""
    common = {"order_id": commission.order_id, "affiliate_id": commission.affiliate_id}
    return post(
        EntryKind.AFFILIATE_APPROVAL,
        [
            debit(
                Account.AFFILIATE_PENDING, commission.amount, kind="affiliate_approval", **common
            ),
            credit(
                Account.AFFILIATE_AVAILABLE, commission.amount, kind="affiliate_approval", **common
            ),
        ],
        key=approve_key(commission),
        ref_type="affiliate_commission",
        ref_id=commission.id,
        shop_id=commission.tenant_id,
        memo="Affiliate commission approved",
    )


def post_back_to_shop(
    commission: AffiliateCommission,
    order: Order,
    amount: int,
    *,
    account: Account,
    key: str,
    memo: str,
) -> LedgerEntry | None:
    """``amount`` leaves the affiliate's ``account`` and goes back to the shop, once per key."""
    if find_entry(key) is not None:
        return find_entry(key)
    lock_chain()  # pending or available is decided with no release in between
    return post(
        EntryKind.AFFILIATE_REVERSAL,
        [
            debit(
                account,
                amount,
                kind="affiliate_reversal",
                order_id=order.id,
                affiliate_id=commission.affiliate_id,
            ),
            credit(
                shop_account(order),
                amount,
                kind="affiliate_reversal",
                shop_id=order.tenant_id,
                order_id=order.id,
            ),
        ],
        key=key,
        ref_type="affiliate_commission",
        ref_id=commission.id,
        shop_id=order.tenant_id,
        memo=memo,
    )
