"""Payouts by Stripe transfer: each released order is paid once (the job run twice, a retry
reusing its key), the minimum and holds wait; a refund after payout reverses the transfer or
leaves a debt the next transfer nets exactly; a reversed or refused transfer gives the money
back once; an unassigned outside refund holds its checkout's payout."""

from __future__ import annotations

import sqlalchemy as sa

from mall.extensions import db
from mall.jobs import run_job
from mall.ledger.models import (
    Account,
    PayoutItem,
    PayoutStatus,
    TransferReversal,
    UnattributedRefund,
)
from mall.ledger.payouts import set_shop_controls
from mall.payments.models import Payment, PaymentRefund, RefundStatus
from tenants.context import tenant_context
from tenants.settings import put_setting
from tests.support import payouts as kit
from tests.support import stripe_checkout as stripe
from tests.support.payouts import (
    ACME_ACCT,
    assert_ledger_invariant,
    owed,
    pay_out,
    payouts_of,
    refund_units,
    sell_and_release,
    transfers,
)
from tests.support.stripe_checkout import webhook

stub_server = stripe.stub_server
stripe_on = stripe.stripe_on
acme = kit.acme


def test_running_the_payout_job_twice_pays_once(client, acme, stripe_on):
    shop, stocked = acme
    first = sell_and_release(client, stripe_on, stocked, 1)
    second = sell_and_release(client, stripe_on, stocked, 2)
    owed_before = owed(shop.id, Account.SHOP_AVAILABLE)
    assert owed_before > 0
    assert run_job("mall.ledger.jobs:run_payouts", None) == 2
    assert run_job("mall.ledger.jobs:run_payouts", None) == 0
    sent = transfers(stripe_on)
    assert len(sent) == 2  # one per released order, once
    for request, order in zip(sent, (first, second), strict=True):
        assert request.params["destination"] == ACME_ACCT
        assert request.params["transfer_group"] == str(order.checkout_id)
        assert request.params["source_transaction"].startswith("ch_test_")
        assert request.idempotency_key
    assert sent[0].params["source_transaction"] != sent[1].params["source_transaction"]
    assert sum(int(r.params["amount"]) for r in sent) == owed_before
    payouts = payouts_of(shop.id)
    assert [p.status for p in payouts] == [PayoutStatus.PAID, PayoutStatus.PAID]
    assert owed(shop.id, Account.SHOP_AVAILABLE) == 0
    assert owed(shop.id, Account.PAYOUTS_IN_TRANSIT) == 0
    # A send job run again for a paid payout asks Stripe nothing.
    assert run_job("mall.ledger.jobs:send_payout", str(shop.id), str(payouts[0].id)) is False
    assert len(transfers(stripe_on)) == 2
    assert_ledger_invariant()


def test_a_retried_transfer_reuses_its_idempotency_key(client, acme, stripe_on):
    shop, stocked = acme
    sell_and_release(client, stripe_on, stocked)
    pay_out()
    (payout,) = payouts_of(shop.id)
    (sent,) = transfers(stripe_on)
    with tenant_context(shop):
        item = db.session.scalar(sa.select(PayoutItem).where(PayoutItem.payout_id == payout.id))
    assert sent.idempotency_key == f"mall-payout-item-{item.id.hex}-transfer"
    assert item.stripe_transfer_id in stripe_on.transfers
    assert item.source_transaction == sent.params["source_transaction"]


def test_a_balance_below_the_minimum_waits(client, acme, stripe_on):
    _shop, stocked = acme
    put_setting("payouts.minimum", 100_000)
    db.session.commit()
    sell_and_release(client, stripe_on, stocked)
    result = pay_out()
    assert result.payouts == 0
    assert not transfers(stripe_on)
    put_setting("payouts.minimum", 1000)
    db.session.commit()
    assert pay_out().stripe == 1


def test_a_held_shop_is_paid_once_the_hold_ends(client, acme, stripe_on):
    shop, stocked = acme
    sell_and_release(client, stripe_on, stocked)
    set_shop_controls(
        shop, reserve_bp=0, reserve_days=0, held=True, hold_reason="Checking", actor_id=None
    )
    db.session.commit()
    assert pay_out().skipped == {"held": 1}
    set_shop_controls(shop, reserve_bp=0, reserve_days=0, held=False, hold_reason="", actor_id=None)
    db.session.commit()
    assert pay_out().stripe == 1
    assert len(transfers(stripe_on)) == 1


def test_a_refund_after_payout_takes_the_money_back_from_the_transfer(client, acme, stripe_on):
    shop, stocked = acme
    order = sell_and_release(client, stripe_on, stocked, 2)
    pay_out()
    refund_units(order)
    (asked,) = [r for r in stripe_on.requests if r.path.endswith("/reversals")]
    assert int(asked.params["amount"]) > 0
    with tenant_context(shop):
        (reversal,) = db.session.scalars(sa.select(TransferReversal)).all()
        assert reversal.succeeded and reversal.stripe_reversal_id
    assert owed(shop.id, Account.SHOP_AVAILABLE) == 0  # taken back: no debt left
    assert_ledger_invariant()


def test_a_refused_reversal_leaves_a_debt_the_next_transfer_nets_exactly(client, acme, stripe_on):
    shop, stocked = acme
    first = sell_and_release(client, stripe_on, stocked, 2)
    pay_out()
    stripe_on.refuse_reversals = True
    refund_units(first)
    with tenant_context(shop):
        (reversal,) = db.session.scalars(sa.select(TransferReversal)).all()
        assert not reversal.succeeded and "Insufficient" in reversal.failure
    debt = -owed(shop.id, Account.SHOP_AVAILABLE)
    assert debt == 1800  # 20.00 refunded, less the 10 % commission given back
    second = sell_and_release(client, stripe_on, stocked, 3)
    earned = owed(shop.id, Account.SHOP_AVAILABLE) + debt  # the second order's part
    assert pay_out().stripe == 1
    last = transfers(stripe_on)[-1]
    assert int(last.params["amount"]) == earned - debt
    assert last.params["transfer_group"] == str(second.checkout_id)
    assert owed(shop.id, Account.SHOP_AVAILABLE) == 0  # the debt is recovered, exactly
    payout = payouts_of(shop.id)[-1]
    with tenant_context(shop):
        items = db.session.scalars(
            sa.select(PayoutItem).where(PayoutItem.payout_id == payout.id)
        ).all()
    assert sorted(item.amount for item in items) == [-debt, earned]
    assert {item.order_id for item in items} == {first.id, second.id}
    assert_ledger_invariant()


def test_a_transfer_reversed_on_stripe_returns_the_payout_once(client, acme, stripe_on):
    shop, stocked = acme
    sell_and_release(client, stripe_on, stocked)
    pay_out()
    (payout,) = payouts_of(shop.id)
    (transfer_id,) = stripe_on.transfers
    transfer = stripe_on.transfers[transfer_id]
    stripe_on._create_reversal(transfer_id, {})  # the whole transfer, on Stripe's dashboard
    for _ in range(2):
        answer = webhook(client, "transfer.reversed", transfer, event_id="evt_reversed_1")
        assert answer.status_code == 200
    answer = webhook(client, "transfer.reversed", transfer, event_id="evt_reversed_2")
    assert answer.status_code == 200
    (payout,) = payouts_of(shop.id)
    assert payout.status is PayoutStatus.FAILED
    assert owed(shop.id, Account.SHOP_AVAILABLE) == payout.amount  # owed again, once
    assert_ledger_invariant()
    assert pay_out().stripe == 1  # and paid again
    assert_ledger_invariant()


def test_a_refused_transfer_fails_the_payout_and_restores_the_balance(client, acme, stripe_on):
    shop, stocked = acme
    order = sell_and_release(client, stripe_on, stocked)
    # Stripe stops the account's transfers; Mall does not know yet.
    stripe_on.accounts[ACME_ACCT]["capabilities"]["transfers"] = "inactive"
    available = owed(shop.id, Account.SHOP_AVAILABLE)
    pay_out()
    (payout,) = payouts_of(shop.id)
    assert payout.status is PayoutStatus.FAILED
    assert "transfers capability" in payout.failure_reason
    assert owed(shop.id, Account.SHOP_AVAILABLE) == available
    assert owed(shop.id, Account.PAYOUTS_IN_TRANSIT) == 0
    assert order.id
    assert_ledger_invariant()


def test_an_unassigned_outside_refund_holds_that_checkouts_payout(client, acme, stripe_on):
    shop, stocked = acme
    held = sell_and_release(client, stripe_on, stocked)
    free = sell_and_release(client, stripe_on, stocked)
    payment = db.session.scalar(sa.select(Payment).where(Payment.checkout_id == held.checkout_id))
    refund = PaymentRefund(
        payment_id=payment.id,
        amount=100,
        status=RefundStatus.SUCCEEDED,
        idempotency_key="stripe:re_outside",
        provider_ref="re_outside",
    )
    db.session.add(refund)
    db.session.flush()
    db.session.add(
        UnattributedRefund(
            payment_refund_id=refund.id,
            checkout_id=held.checkout_id,
            amount=100,
            provider_ref="re_outside",
        )
    )
    db.session.commit()
    assert pay_out().stripe == 1
    (sent,) = transfers(stripe_on)
    assert sent.params["transfer_group"] == str(free.checkout_id)
    assert owed(shop.id, Account.SHOP_AVAILABLE) > 0  # the held order's part waits
    assert_ledger_invariant()


# ---------------------------------------------------------------- planning


def test_debts_are_netted_from_the_oldest_transfers_first():
    from uuid import uuid4

    from mall.ledger.payouts.balances import Part
    from mall.ledger.payouts.run import plan_transfers

    a, b, c, debt = (uuid4() for _ in range(4))
    plans = plan_transfers(
        [
            Part(a, 500, None, 1),
            Part(debt, -700, None, 2),
            Part(b, 900, None, 3),
            Part(c, 50, None, 4),
        ]
    )
    assert [plan.amount for plan in plans] == [0, 700, 50]
    assert [[part.amount for part in plan.parts] for plan in plans] == [
        [500, -500],
        [900, -200],
        [50],
    ]
    assert sum(plan.amount for plan in plans) == 500 - 700 + 900 + 50


def test_a_transfer_the_debt_takes_whole_is_netted_without_asking_stripe(client, acme, stripe_on):
    shop, stocked = acme
    first = sell_and_release(client, stripe_on, stocked, 3)
    pay_out()
    stripe_on.refuse_reversals = True
    refund_units(first, 3)  # everything back: the shop owes the whole part
    debt = -owed(shop.id, Account.SHOP_AVAILABLE)
    assert debt > 0
    put_setting("payouts.minimum", 0)
    db.session.commit()
    sell_and_release(client, stripe_on, stocked, 1)  # 1 x 20.00: less than the debt
    assert pay_out().payouts == 0  # the shop is owed nothing: the debt carries over
    assert owed(shop.id, Account.SHOP_AVAILABLE) < 0
    sell_and_release(client, stripe_on, stocked, 4)
    before = len(transfers(stripe_on))
    result = pay_out()
    assert result.amount > 0
    assert owed(shop.id, Account.SHOP_AVAILABLE) == 0
    netted = [p for p in payouts_of(shop.id) if p.amount == 0]
    assert netted and all(p.status is PayoutStatus.PAID for p in netted)
    assert len(transfers(stripe_on)) == before + result.payouts - len(netted)
    assert_ledger_invariant()
