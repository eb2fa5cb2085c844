"""A dispute's balance transactions at Stripe: its fee, and what a won dispute really returned.

Stripe sends ``charge.dispute.funds_withdrawn`` and ``charge.dispute.funds_reinstated``
with the dispute and its ``balance_transactions``: the withdrawal (amount -D,
``fee`` the dispute fee) and, when the dispute is won, the reinstatement
(amount +R, ``fee`` negative where Stripe returns the fee, else 0). For each
balance transaction, once per its id (key ``dispute_fee:<txn>``):

- its fee is posted as its own entry: ``Dr processor_fees, Cr processor`` (a fee
  returned: the reverse). Who bears it follows the refund-fee policy
  (``fees.refund_fee_bearer``): with ``shop``, the shops of the dispute bear it in
  proportion to their shares (``Dr shop_pending/shop_available, Cr processor_fees``,
  line kind ``processor_fee``); a fee returned goes back to whoever bore the fee
  charged (the dispute's first fee entry says who), whatever the policy is then;
- a reinstatement settles the dispute as won with what it returned (``disputes``
  splits it over the shares; the rest is lost). If the dispute was settled already
  (its closing event came first) and R differs from what was paid back then, the
  difference is posted per share, once per transaction: less came back, the shop
  bears the rest as lost (``Dr shop_available, Cr processor``); more, it is paid.

The ledger's reconciliation does not see these fee entries (they name no order
nor checkout): no payment record holds Stripe's dispute fees to compare with.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import current_app

from mall.extensions import db
from mall.ledger import disputes
from mall.ledger.fees import refund_fee_bearer
from mall.ledger.models import Account, Dispute, DisputeShare, EntryKind, LedgerEntry, LedgerLine
from mall.ledger.posting import Line, credit, debit, post
from mall.ledger.sales import shop_account
from mall.money import format_money
from mall.payments.models import Payment
from mall.payments.providers import STRIPE

EVENTS = ("charge.dispute.funds_withdrawn", "charge.dispute.funds_reinstated")
FEE_KIND = "dispute_fee"


def funds_moved(found: dict[str, Any]) -> None:
    """Stripe moved money for a dispute: post each balance transaction's fee and what a
    reinstatement returned, once each (the dispute is opened first when it is new)."""
    dispute = _dispute_of(found)
    if dispute is None:
        return
    transactions = [txn for txn in found.get("balance_transactions") or [] if isinstance(txn, dict)]
    for transaction in transactions:
        post_dispute_fee(dispute, str(transaction["id"]), fee=int(transaction.get("fee") or 0))
    reinstated = [txn for txn in transactions if int(txn.get("amount") or 0) > 0]
    if reinstated:
        returned = sum(int(txn["amount"]) for txn in reinstated)
        record_reinstatement(dispute, returned, transaction_id=str(reinstated[-1]["id"]))


def _dispute_of(found: dict[str, Any]) -> Dispute | None:
    known = disputes.find_dispute(str(found.get("id") or ""))
    if known is not None:
        return known
    intent = found.get("payment_intent")
    intent = intent.get("id") if isinstance(intent, dict) else intent
    payment = db.session.scalar(
        sa.select(Payment).where(Payment.provider == STRIPE, Payment.provider_payment_ref == intent)
    )
    if payment is None or not found.get("id"):
        current_app.logger.info("stripe dispute funds for no known payment: %s", found.get("id"))
        return None
    facts = disputes.DisputeFacts.of(
        payment,
        provider_ref=found["id"],
        checkout_id=payment.checkout_id,
        amount=found.get("amount"),
        status=found.get("status") or "needs_response",
        reason=found.get("reason"),
        evidence_due_by=(found.get("evidence_details") or {}).get("due_by"),
    )
    if facts.inquiry or facts.amount <= 0:
        return None
    return disputes.open_dispute(facts)


# ---------------------------------------------------------------- the fee


def post_dispute_fee(dispute: Dispute, transaction_id: str, *, fee: int) -> LedgerEntry | None:
    """Post the fee of one of the dispute's balance transactions (negative: returned), once."""
    if not fee:
        return None
    shares = disputes.shares_of(dispute)
    lines = [
        debit(Account.PROCESSOR_FEES, fee, kind=FEE_KIND),
        credit(Account.PROCESSOR, fee, kind=FEE_KIND),
    ]
    borne_by = shares if shares and _shops_bear(dispute, fee) else []
    for share, part in zip(borne_by, disputes.split_over(borne_by, fee), strict=True):
        mine = {"shop_id": share.tenant_id, "order_id": share.order_id, "kind": "processor_fee"}
        lines += [
            debit(shop_account(share.order), part, **mine),
            credit(Account.PROCESSOR_FEES, part, order_id=share.order_id, kind="processor_fee"),
        ]
    shops = {share.tenant_id for share in borne_by}
    what = "charged" if fee > 0 else "returned"
    return post(
        EntryKind.FEE,
        lines,
        key=f"dispute_fee:{transaction_id}",
        ref_type="dispute",
        ref_id=dispute.id,
        shop_id=next(iter(shops)) if len(shops) == 1 else None,
        memo=f"Stripe's dispute fee {what}: {format_money(abs(fee))}",
    )


def _shops_bear(dispute: Dispute, fee: int) -> bool:
    """A fee charged: the policy now. A fee returned: whoever bore the fee charged."""
    if fee > 0:
        return refund_fee_bearer() == "shop"
    charged_shops = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(LedgerLine)
        .join(LedgerEntry, LedgerEntry.id == LedgerLine.entry_id)
        .where(
            LedgerEntry.kind == EntryKind.FEE,
            LedgerEntry.ref_type == "dispute",
            LedgerEntry.ref_id == str(dispute.id),
            LedgerLine.shop_id.is_not(None),
            LedgerLine.amount > 0,
        )
    )
    return bool(charged_shops)


# ---------------------------------------------------------------- what came back


def record_reinstatement(dispute: Dispute, returned: int, *, transaction_id: str) -> None:
    """Stripe gave back ``returned`` of the dispute: settle it as won with that, or post the
    difference from what the shops were paid back when it was settled (once per transaction)."""
    returned = max(0, min(returned, dispute.amount))
    if dispute.status in disputes.OPEN:
        disputes.close_dispute(dispute, won=True, returned=returned)
        return
    if dispute.status is not disputes.DisputeStatus.WON:
        current_app.logger.info("stripe reinstated money on lost dispute %s", dispute.id)
        return
    shares = disputes.shares_of(dispute)
    paid_back = disputes.split_over(shares, _paid_back(dispute))
    now_due = disputes.split_over(shares, returned)
    for share, before, due in zip(shares, paid_back, now_due, strict=True):
        if due != before:
            _post_difference(dispute, share, due - before, transaction_id=transaction_id)


def _paid_back(dispute: Dispute) -> int:
    """What the ledger says came back from the processor for the dispute so far."""
    total = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(LedgerLine.amount), 0))
        .join(LedgerEntry, LedgerEntry.id == LedgerLine.entry_id)
        .where(
            LedgerEntry.kind.in_([EntryKind.DISPUTE_WON, EntryKind.DISPUTE_LOST]),
            LedgerEntry.ref_type == "dispute",
            LedgerEntry.ref_id == str(dispute.id),
            LedgerLine.account == Account.PROCESSOR,
        )
    )
    return int(total or 0)


def _post_difference(
    dispute: Dispute, share: DisputeShare, more: int, *, transaction_id: str
) -> None:
    """``more`` > 0: the shop is paid that much more back; < 0: it bears that much as lost."""
    order = share.order
    kind = EntryKind.DISPUTE_WON if more > 0 else EntryKind.DISPUTE_LOST
    line_kind = "dispute_won" if more > 0 else "dispute_lost"
    mine = {"shop_id": share.tenant_id, "order_id": share.order_id, "kind": line_kind}
    lines: list[Line] = [
        debit(Account.PROCESSOR, more, order_id=share.order_id, kind=line_kind),
        credit(Account.SHOP_AVAILABLE, more, **mine),
    ]
    money = format_money(abs(more), code=order.currency)
    told = (
        f"Stripe returned {money} more of the dispute: it is paid to the shop."
        if more > 0
        else f"Stripe returned {money} less of the dispute than paid back: the shop bears it."
    )
    post(
        kind,
        lines,
        key=f"dispute_reinstated:{transaction_id}:{share.order_id}",
        ref_type="dispute",
        ref_id=dispute.id,
        shop_id=share.tenant_id,
        memo=f"{order.number}: {told}",
    )
