"""Manual payouts: a shop without a Stripe account is paid in the mall's open batch, which the
operator exports (closing it) and marks paid once; a payout the bank returned is owed again
and paid in a later batch; one never sent is taken out of its batch, never marked returned."""

from __future__ import annotations

import pytest

from mall.extensions import db
from mall.ledger.models import Account, BatchStatus, Payout, PayoutBatch, PayoutMethod, PayoutStatus
from mall.ledger.payouts import export_batch, get_payout, mark_batch_paid, mark_returned
from tenants.context import tenant_context
from tests.support import payouts as kit
from tests.support import stripe_checkout as stripe
from tests.support.payouts import (
    assert_ledger_invariant,
    owed,
    pay_out,
    payouts_of,
    sell_and_release,
    transfers,
)

stub_server = stripe.stub_server
stripe_on = stripe.stripe_on
bolt = kit.bolt


def batched(client, stub, bolt) -> tuple[Payout, PayoutBatch, int]:
    """Bolt sells one unit, released; a run puts its payout in the open batch: the payout,
    the batch and what the shop had available before."""
    shop, stocked = bolt
    sell_and_release(client, stub, stocked)
    available = owed(shop.id, Account.SHOP_AVAILABLE)
    pay_out()
    (payout,) = payouts_of(shop.id)
    return payout, db.session.get(PayoutBatch, payout.batch_id), available


def test_a_manual_payout_is_batched_exported_and_marked_paid_once(client, bolt, stripe_on):
    shop, stocked = bolt
    sell_and_release(client, stripe_on, stocked)
    available = owed(shop.id, Account.SHOP_AVAILABLE)
    result = pay_out()
    assert result.manual == 1 and pay_out().payouts == 0
    assert not transfers(stripe_on)
    db.session.commit()
    (payout,) = payouts_of(shop.id)
    assert payout.method is PayoutMethod.MANUAL and payout.amount == available
    assert owed(shop.id, Account.PAYOUTS_IN_TRANSIT) == available
    batch = db.session.get(PayoutBatch, payout.batch_id)
    assert export_batch(batch, actor_id=None) and not export_batch(batch, actor_id=None)
    assert mark_batch_paid(batch, actor_id=None) and not mark_batch_paid(batch, actor_id=None)
    db.session.commit()
    assert batch.status is BatchStatus.PAID
    (payout,) = payouts_of(shop.id)
    assert payout.status is PayoutStatus.PAID
    assert owed(shop.id, Account.PAYOUTS_IN_TRANSIT) == 0
    assert owed(shop.id, Account.SHOP_AVAILABLE) == 0
    assert_ledger_invariant()


def test_a_returned_payout_restores_the_balance_once(client, bolt, stripe_on):
    shop, _ = bolt
    payout, batch, available = batched(client, stripe_on, bolt)
    export_batch(batch, actor_id=None)
    mark_batch_paid(batch, actor_id=None)
    db.session.commit()
    with tenant_context(shop):
        found = get_payout(payout.id)
        assert mark_returned(found, reason="Account closed", actor_id=None)
        assert not mark_returned(found, reason="Account closed", actor_id=None)
    db.session.commit()
    (payout,) = payouts_of(shop.id)
    assert payout.status is PayoutStatus.FAILED and payout.failure_reason == "Account closed"
    assert owed(shop.id, Account.SHOP_AVAILABLE) == available
    assert_ledger_invariant()
    # Paid again at the next run, in a new batch.
    assert pay_out().manual == 1
    db.session.commit()
    assert len(payouts_of(shop.id)) == 2
    assert_ledger_invariant()


def test_a_payout_the_bank_never_paid_leaves_the_batch(client, bolt, stripe_on):
    shop, _ = bolt
    payout, batch, available = batched(client, stripe_on, bolt)
    export_batch(batch, actor_id=None)
    with tenant_context(shop):
        assert mark_returned(get_payout(payout.id), reason="Wrong IBAN", actor_id=None)
    db.session.commit()
    db.session.refresh(batch)
    assert batch.total == 0 and batch.payouts_count == 0
    assert owed(shop.id, Account.SHOP_AVAILABLE) == available
    mark_batch_paid(batch, actor_id=None)  # the failed payout stays failed
    db.session.commit()
    (payout,) = payouts_of(shop.id)
    assert payout.status is PayoutStatus.FAILED
    assert_ledger_invariant()


def test_a_payout_never_sent_is_taken_out_of_its_batch_not_marked_returned(client, bolt, stripe_on):
    from mall.ledger.errors import LedgerError
    from mall.ledger.payouts import cancel_payout

    shop, _ = bolt
    payout, batch, available = batched(client, stripe_on, bolt)
    assert payout.status is PayoutStatus.PENDING
    assert (batch.status, batch.total, batch.payouts_count) == (BatchStatus.OPEN, available, 1)
    with tenant_context(shop), pytest.raises(LedgerError, match="never sent"):
        mark_returned(get_payout(payout.id), reason="Bounced", actor_id=None)
    db.session.rollback()
    with tenant_context(shop):
        assert cancel_payout(get_payout(payout.id), actor_id=None)
        assert not cancel_payout(get_payout(payout.id), actor_id=None)  # once
    db.session.commit()
    (payout,) = payouts_of(shop.id)
    assert payout.status is PayoutStatus.CANCELLED
    assert owed(shop.id, Account.SHOP_AVAILABLE) == available
    assert owed(shop.id, Account.PAYOUTS_IN_TRANSIT) == 0
    db.session.refresh(batch)
    assert (batch.total, batch.payouts_count) == (0, 0)
    assert_ledger_invariant()
    # Exported, a batch's payout can no longer be taken out: the bank may pay it.
    assert pay_out().manual == 1
    (_, again) = payouts_of(shop.id)
    export_batch(db.session.get(PayoutBatch, again.batch_id), actor_id=None)
    db.session.commit()
    with tenant_context(shop), pytest.raises(LedgerError, match="exported"):
        cancel_payout(get_payout(again.id), actor_id=None)
    db.session.rollback()
    assert_ledger_invariant()
