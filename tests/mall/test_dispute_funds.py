"""A dispute's balance transactions: Stripe's dispute fee posted once per transaction (borne by
the platform, or by the shops by their shares when the refund-fee policy says so; returned the
same way), and a dispute won in part paying back only what Stripe returned, by the shares."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from mall.extensions import db
from mall.ledger.chain import verify_chain
from mall.ledger.models import (
    Account,
    Dispute,
    DisputeShare,
    DisputeStatus,
    EntryKind,
    LedgerEntry,
    LedgerLine,
)
from mall.ledger.reconciliation import reconcile
from mall.money import allocate
from tenants.context import all_tenants
from tenants.settings import put_setting
from tests.support import stripe_checkout as stripe
from tests.support.money import account_total, shop_owed
from tests.support.payouts import assert_ledger_invariant
from tests.support.stripe_checkout import send_event
from tests.support.stripe_stub import StripeStub

stub_server = stripe.stub_server
stripe_on = stripe.stripe_on
shops = stripe.three_shops
paid = stripe.paid_by_card
FEE = 1500
WITHDRAWN = "charge.dispute.funds_withdrawn"
REINSTATED = "charge.dispute.funds_reinstated"


@pytest.fixture
def total(paid) -> int:
    return sum(order.total for order in paid.orders)


def dispute(paid, amount: int, *, status: str = "needs_response", moves=()) -> dict:
    """Stripe's dispute object; ``moves``: its balance transactions as (id, amount, fee)."""
    return {
        "id": "du_funds",
        "object": "dispute",
        "amount": amount,
        "payment_intent": paid.intent,
        "charge": "ch_1",
        "reason": "fraudulent",
        "status": status,
        "evidence_details": {"due_by": int(time.time()) + 7 * 86400},
        "balance_transactions": [
            {"id": ref, "object": "balance_transaction", "amount": value, "fee": fee}
            for ref, value, fee in moves
        ],
    }


def withdrawn(total: int) -> tuple[str, int, int]:
    """The withdrawal of the disputed amount, with Stripe's dispute fee."""
    return ("txn_withdrawn", -total, FEE)


def share_amounts() -> dict:
    db.session.expire_all()
    with all_tenants("test: every share"):
        rows = db.session.scalars(sa.select(DisputeShare)).all()
    return {row.tenant_id: row.amount for row in rows}


def fee_entries() -> list[LedgerEntry]:
    return list(
        db.session.scalars(
            sa.select(LedgerEntry)
            .where(LedgerEntry.kind == EntryKind.FEE, LedgerEntry.ref_type == "dispute")
            .order_by(LedgerEntry.seq)
        )
    )


def shop_fees(shop_id) -> int:
    """What the shop bore of Stripe's fees (its processor_fee lines)."""
    return int(
        db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(LedgerLine.amount), 0)).where(
                LedgerLine.shop_id == shop_id, LedgerLine.kind == "processor_fee"
            )
        )
        or 0
    )


# ---------------------------------------------------------------- the fee


def test_the_dispute_fee_is_the_platforms_and_posted_once_per_transaction(
    client, stripe_on, paid, total
):
    payment_fee = StripeStub.fee_for(total)
    send_event(client, "charge.dispute.created", dispute(paid, total), event_id="evt_open")
    moved = dispute(paid, total, moves=[withdrawn(total)])
    for event_id in ("evt_w1", "evt_w1", "evt_w2"):  # a replay, then a second delivery
        send_event(client, WITHDRAWN, moved, event_id=event_id)
    (entry,) = fee_entries()
    assert entry.idempotency_key == "dispute_fee:txn_withdrawn"
    assert {(line.account, line.amount, line.shop_id) for line in entry.lines} == {
        (Account.PROCESSOR_FEES, FEE, None),
        (Account.PROCESSOR, -FEE, None),
    }
    assert account_total(Account.PROCESSOR_FEES) == payment_fee + FEE
    assert account_total(Account.PROCESSOR) == -payment_fee - FEE  # the payment is held
    assert reconcile().differences == 0  # dispute fees are not in the payment records
    assert_ledger_invariant()


def test_the_fee_events_may_come_first_and_open_the_dispute(client, stripe_on, paid, total):
    moved = dispute(paid, total, moves=[withdrawn(total)])
    send_event(client, WITHDRAWN, moved, event_id="evt_w1")
    send_event(client, "charge.dispute.created", dispute(paid, total), event_id="evt_open")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Dispute)) == 1
    assert sum(share_amounts().values()) == total
    assert len(fee_entries()) == 1
    assert verify_chain().ok


def test_when_shops_bear_fees_they_share_it_and_get_it_back_the_same_way(
    client, stripe_on, paid, total, shops
):
    put_setting("payments.refund_fee_bearer", "shop")
    db.session.commit()
    before = {s.shop_id: shop_owed(s.shop_id) for s in shops}
    platform_fees = account_total(Account.PROCESSOR_FEES)
    moved = dispute(paid, total, moves=[withdrawn(total)])
    send_event(client, WITHDRAWN, moved, event_id="evt_w1")
    send_event(client, WITHDRAWN, moved, event_id="evt_w2")
    shares = share_amounts()
    ids = [s.shop_id for s in shops]
    expected = dict(zip(ids, allocate(FEE, [shares[i] for i in ids]), strict=True))
    assert {i: shop_fees(i) for i in ids} == expected
    assert sum(expected.values()) == FEE
    assert account_total(Account.PROCESSOR_FEES) == platform_fees  # charged on in full
    # The platform's policy changes; the fee Stripe returns on the won dispute still goes
    # back to the shops that bore it, by the same split.
    put_setting("payments.refund_fee_bearer", "platform")
    db.session.commit()
    won = dispute(paid, total, status="won", moves=[withdrawn(total), ("txn_back", total, -FEE)])
    send_event(client, REINSTATED, won, event_id="evt_r1")
    send_event(client, "charge.dispute.closed", won, event_id="evt_closed")
    assert len(fee_entries()) == 2
    assert all(shop_fees(i) == 0 for i in ids)
    assert account_total(Account.PROCESSOR_FEES) == platform_fees
    assert {s.shop_id: shop_owed(s.shop_id) for s in shops} == before  # as if nothing happened
    assert account_total(Account.PROCESSOR) == total - StripeStub.fee_for(total)
    assert reconcile().differences == 0
    assert_ledger_invariant()


# ---------------------------------------------------------------- won in part


def test_a_reinstatement_of_less_settles_the_dispute_won_in_part(
    client, stripe_on, paid, total, shops
):
    before = {s.shop_id: shop_owed(s.shop_id) for s in shops}
    send_event(client, "charge.dispute.created", dispute(paid, total), event_id="evt_open")
    shares = share_amounts()
    back = total - 1001  # the card network kept 10.01
    moves = [withdrawn(total), ("txn_back", back, 0)]
    for event_id in ("evt_r1", "evt_r1", "evt_r2"):
        send_event(client, REINSTATED, dispute(paid, total, moves=moves), event_id=event_id)
    won = dispute(paid, total, status="won", moves=moves)
    send_event(client, "charge.dispute.closed", won, event_id="evt_closed")
    assert db.session.scalar(sa.select(Dispute.status)) is DisputeStatus.WON
    ids = [s.shop_id for s in shops]
    returned = dict(zip(ids, allocate(back, [shares[i] for i in ids]), strict=True))
    for shop_id in ids:  # each shop bears its share of what was kept, no more
        kept = shares[shop_id] - returned[shop_id]
        assert shop_owed(shop_id) == before[shop_id] - kept
        assert account_total(Account.SHOP_DISPUTED, shop_id) == 0
    assert sum(shares[i] - returned[i] for i in ids) == 1001
    assert account_total(Account.DISPUTES) == 0
    assert account_total(Account.PROCESSOR) == back - StripeStub.fee_for(total) - FEE
    assert_ledger_invariant()


def test_a_won_dispute_whose_amount_fell_returns_that_amount(client, stripe_on, paid, total, shops):
    before = {s.shop_id: shop_owed(s.shop_id) for s in shops}
    send_event(client, "charge.dispute.created", dispute(paid, total), event_id="evt_open")
    shares = share_amounts()
    lower = total - 700
    for event_id in ("evt_closed", "evt_closed_again"):
        won = dispute(paid, lower, status="won")
        send_event(client, "charge.dispute.closed", won, event_id=event_id)
    ids = [s.shop_id for s in shops]
    returned = allocate(lower, [shares[i] for i in ids])
    assert [before[i] - shop_owed(i) for i in ids] == [
        shares[i] - part for i, part in zip(ids, returned, strict=True)
    ]
    # Stripe's reinstatement then says the same: nothing more is posted.
    entries = db.session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry))
    moves = [withdrawn(total), ("txn_back", lower, 0)]
    send_event(client, REINSTATED, dispute(paid, lower, moves=moves), event_id="evt_r1")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry)) == entries + 1
    assert_ledger_invariant()


def test_less_returned_after_a_full_win_was_settled_is_borne_once(
    client, stripe_on, paid, total, shops
):
    before = {s.shop_id: shop_owed(s.shop_id) for s in shops}
    send_event(client, "charge.dispute.created", dispute(paid, total), event_id="evt_open")
    shares = share_amounts()
    send_event(client, "charge.dispute.closed", dispute(paid, total, status="won"), event_id="c")
    assert {s.shop_id: shop_owed(s.shop_id) for s in shops} == before  # paid back in full
    back = total - 500
    moves = [withdrawn(total), ("txn_back", back, 0)]
    for event_id in ("evt_r1", "evt_r1", "evt_r2"):
        send_event(client, REINSTATED, dispute(paid, total, moves=moves), event_id=event_id)
    ids = [s.shop_id for s in shops]
    returned = allocate(back, [shares[i] for i in ids])
    assert [before[i] - shop_owed(i) for i in ids] == [
        shares[i] - part for i, part in zip(ids, returned, strict=True)
    ]
    lost = db.session.scalars(
        sa.select(LedgerEntry.idempotency_key).where(LedgerEntry.kind == EntryKind.DISPUTE_LOST)
    ).all()
    assert len(lost) == 3 and all(key.startswith("dispute_reinstated:txn_back:") for key in lost)
    assert account_total(Account.PROCESSOR) == back - StripeStub.fee_for(total) - FEE
    assert_ledger_invariant()
